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
    .filter((h) => h.trim().length > 0)
    .map((h) => plainAddress(h));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // A hop a trusted proxy wrote that is not an address (e.g. "unknown"): stop here. Skipping it would take the
    // next hop to the left, which the client wrote — any address it likes.
    if (hop === '') return socket;
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

/**
 * The subject a client's failed authentications are counted under (R33): an IPv4 address as is, an IPv6 address as
 * its /64 network. One IPv6 host is normally given a whole /64 and can use any of its 2^64 addresses, so counting
 * each address apart would let one client rotate addresses and never be locked out.
 */
export function lockoutSubject(address: string): string {
  if (!address.includes(':')) return address;
  const groups = expandIPv6(address);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

/** "2001:db8::1" → the eight 16-bit groups, lower-case hex without leading zeros; null when not IPv6. */
function expandIPv6(address: string): string[] | null {
  let a = address;
  const v4 = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (v4) {
    const o = v4.slice(2, 6).map(Number);
    if (o.some((n) => n > 255)) return null;
    a = `${v4[1]}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<string>(missing).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return all.map((g) => parseInt(g, 16).toString(16));
}
