/**
 * The client address of an API request (R33), for limits that must be per client: the socket peer, unless the peer
 * is a configured trusted proxy — then the address that proxy put in the configured header (X-Forwarded-For by
 * default). In a forwarded list the client is the right-most entry that is not itself a trusted proxy: entries to
 * its left were written by the client and prove nothing. A request that did not come through a trusted proxy
 * cannot choose its address with a header.
 */
export function clientAddress(
  peer: string | undefined,
  forwarded: string | undefined,
  isTrustedProxy: (address: string) => boolean,
): string {
  const socket = plainAddress(peer ?? '') || 'unknown';
  if (!forwarded || !isTrustedProxy(socket)) return socket;
  const hops = forwarded
    .split(',')
    .map((h) => plainAddress(h))
    .filter((h) => h.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!isTrustedProxy(hop)) return hop;
  }
  return hops[0] ?? socket;
}

/** "::ffff:10.0.0.1" → "10.0.0.1"; "[2001:db8::1]:443" and "10.0.0.1:5000" lose the port; lower-case; bounded. */
export function plainAddress(raw: string): string {
  let a = raw.trim().toLowerCase().slice(0, 64);
  const bracket = /^\[([0-9a-f:.]+)\](?::\d+)?$/.exec(a);
  if (bracket?.[1]) a = bracket[1];
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  if (a.startsWith('::ffff:') && /^\d{1,3}(?:\.\d{1,3}){3}$/.test(a.slice(7))) a = a.slice(7);
  return /^[0-9a-f:.]+$/.test(a) ? a : '';
}
