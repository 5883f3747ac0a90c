import { loadConfig } from '../../../bot/config';
import { trustedProxyMatcher } from '../../../bot/api/trustedProxy';
import { clientAddress } from '../../../domain/helpdesk/clientAddress';

describe('R33: the client address of an API request', () => {
  const trusted = trustedProxyMatcher(['10.0.0.5', '10.9.0.0/16', '2001:db8::/32']);

  test('R33: the socket peer, unless it is a trusted proxy; then the right-most untrusted forwarded hop', () => {
    expect(clientAddress('192.0.2.10', '203.0.113.7', trusted)).toBe('192.0.2.10');
    expect(clientAddress('::ffff:10.0.0.5', '198.51.100.1, 203.0.113.7', trusted)).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.5', '203.0.113.7, 10.9.8.7', trusted)).toBe('203.0.113.7');
    expect(clientAddress('2001:db8::1', '[2001:db9::5]:443', trusted)).toBe('2001:db9::5');
    expect(clientAddress('10.0.0.5', undefined, trusted)).toBe('10.0.0.5');
    // Garbage in the header is not an address; with nothing usable the proxy itself is the key.
    expect(clientAddress('10.0.0.5', 'evil\r\nx, <script>', trusted)).toBe('10.0.0.5');
  });

  test('R33: TRUSTED_PROXIES takes addresses and CIDR ranges only', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.5, 10.9.0.0/16, 2001:db8::/32' }).proxy).toEqual({
      trusted: ['10.0.0.5', '10.9.0.0/16', '2001:db8::/32'],
      header: 'x-forwarded-for',
    });
    expect(() => loadConfig({ TRUSTED_PROXIES: 'proxy.example' })).toThrow(/TRUSTED_PROXIES/);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES/);
  });
});
