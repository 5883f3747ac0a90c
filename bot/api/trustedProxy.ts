import { BlockList, isIP } from 'node:net';
import type { Request } from 'restify';
import { clientAddress } from '../../domain/helpdesk/clientAddress';

/** Is this address one of the configured trusted proxies (addresses or CIDR ranges, IPv4 and IPv6)? */
export function trustedProxyMatcher(trusted: readonly string[]): (address: string) => boolean {
  if (trusted.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of trusted) {
    const [addr = '', bits] = entry.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return (address) => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/** The client address of a request (R33): the socket peer, or the trusted proxy's header when the peer is one. */
export function requestClient(proxy: {
  readonly trusted: readonly string[];
  readonly header: string;
}): (req: Request) => string {
  const isTrusted = trustedProxyMatcher(proxy.trusted);
  return (req) => {
    const h = req.headers[proxy.header];
    return clientAddress(req.socket.remoteAddress, Array.isArray(h) ? h.join(',') : h, isTrusted);
  };
}
