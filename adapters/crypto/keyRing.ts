import { createHmac, timingSafeEqual } from 'node:crypto';
import { SsprError } from '../../domain/errors';

/** Ordered keys; the first is active, the others still verify (rotation). Same shape as Config.keys.*. */
export type KeyRing = readonly { readonly id: string; readonly key: Buffer }[];

/** Keyed HMAC-SHA256 over a key ring (codes, recovery codes, destination fingerprints). */
export class HmacKeyRing {
  constructor(
    private readonly ring: KeyRing,
    private readonly label: string,
  ) {
    if (ring.length === 0) throw new SsprError('config_invalid', `${label}: key ring is empty`);
  }

  get activeId(): string {
    return (this.ring[0] as { id: string }).id;
  }

  /** HMAC (hex) of `value` under the active key, with its key id. */
  sign(value: string): { kid: string; mac: string } {
    const k = this.ring[0] as { id: string; key: Buffer };
    return { kid: k.id, mac: this.mac(k.key, value) };
  }

  /** HMAC (hex) of `value` under every key, by key id. */
  signAll(value: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of this.ring) out[k.id] = this.mac(k.key, value);
    return out;
  }

  /** Constant-time check of a stored mac under key `kid`. */
  verify(kid: string, mac: string, value: string): boolean {
    const k = this.ring.find((r) => r.id === kid);
    if (!k) return false;
    const a = Buffer.from(this.mac(k.key, value), 'hex');
    const b = Buffer.from(mac, 'hex');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private mac(key: Buffer, value: string): string {
    return createHmac('sha256', key).update(`${this.label}\u0000${value}`).digest('hex');
  }
}
