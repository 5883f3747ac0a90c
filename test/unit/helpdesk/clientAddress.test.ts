import { loadConfig } from '../../../bot/config';
import { trustedProxyMatcher } from '../../../bot/api/trustedProxy';
import { clientAddress, lockoutSubject } from '../../../domain/helpdesk/clientAddress';

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
    // R33 attack: a hop the proxy wrote that is not an address does not hand the choice to the client's own hops.
    expect(clientAddress('10.0.0.5', '198.51.100.99, unknown', trusted)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', '198.51.100.99, fe80::1%eth0', trusted)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', '203.0.113.7, ', trusted)).toBe('203.0.113.7');
  });

  test('R33: TRUSTED_PROXIES takes addresses and CIDR ranges only', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.5, 10.9.0.0/16, 2001:db8::/32' }).proxy).toEqual({
      trusted: ['10.0.0.5', '10.9.0.0/16', '2001:db8::/32'],
      header: 'x-forwarded-for',
    });
    expect(() => loadConfig({ TRUSTED_PROXIES: 'proxy.example' })).toThrow(/TRUSTED_PROXIES/);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES/);
  });

  test('R33: failures are counted per IPv4 address and per IPv6 /64, whatever the spelling', () => {
    expect(lockoutSubject('203.0.113.7')).toBe('203.0.113.7');
    expect(lockoutSubject('2001:db8:7:1::1')).toBe('2001:db8:7:1::/64');
    expect(lockoutSubject('2001:0DB8:0007:0001:ffff:1:2:3'.toLowerCase())).toBe('2001:db8:7:1::/64');
    expect(lockoutSubject('::1')).toBe('0:0:0:0::/64');
    expect(lockoutSubject('64:ff9b::203.0.113.7')).toBe('64:ff9b:0:0::/64');
    expect(lockoutSubject('2001:db8:7:2::1')).not.toBe(lockoutSubject('2001:db8:7:1::1'));
    // Not an address (plainAddress gave nothing usable): kept as it is.
    expect(lockoutSubject('unknown')).toBe('unknown');
  });
});
