import { createHmac } from 'node:crypto';
import type { TokenDigest } from '../../domain/ports/handoffStore';

/** HMAC-SHA256 of a hand-off token with a server key: a leaked store reveals no usable token. */
export class HmacTokenDigest implements TokenDigest {
  constructor(private readonly key: Buffer) {}
  digest(token: string): string {
    return createHmac('sha256', this.key).update('handoff:').update(token).digest('base64url');
  }
}
