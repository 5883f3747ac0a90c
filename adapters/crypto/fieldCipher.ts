import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SsprError } from '../../domain/errors';
import type { KeyRing } from './keyRing';

const VERSION = 'v1';

/**
 * AES-256-GCM field encryption for phone numbers, addresses and TOTP secrets at rest.
 * Output: `v1.<kid>.<iv b64url>.<tag b64url>.<ciphertext b64url>`; encrypts with the first key, decrypts with any.
 * `aad` binds a value to its owner and field so a ciphertext cannot be moved to another user.
 */
export class FieldCipher {
  constructor(private readonly ring: KeyRing) {
    if (ring.length === 0) throw new SsprError('config_invalid', 'keys.fieldEncryption: key ring is empty');
    for (const k of ring)
      if (k.key.length !== 32) throw new SsprError('config_invalid', 'keys.fieldEncryption: every key must be 32 bytes');
  }

  encrypt(plain: string, aad: string): string {
    const k = this.ring[0] as { id: string; key: Buffer };
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', k.key, iv);
    c.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return [VERSION, k.id, iv.toString('base64url'), c.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(sealed: string, aad: string): string {
    const parts = sealed.split('.');
    const [v, kid, iv, tag, body] = parts;
    const k = this.ring.find((r) => r.id === kid);
    if (parts.length !== 5 || v !== VERSION || !k || iv === undefined || tag === undefined || body === undefined)
      throw new SsprError('crypto_failed', 'encrypted field has an unknown format or key id');
    try {
      const d = createDecipheriv('aes-256-gcm', k.key, Buffer.from(iv, 'base64url'));
      d.setAAD(Buffer.from(aad, 'utf8'));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
    } catch (cause) {
      throw new SsprError('crypto_failed', 'encrypted field failed authentication', { cause });
    }
  }

  /** Key id a sealed value was written with (rotation jobs re-encrypt values not under the active key). */
  keyIdOf(sealed: string): string | undefined {
    return sealed.split('.')[1];
  }
}
