import type { UserRef } from '../../domain/model/user';
import { normaliseRecoveryCode } from '../../domain/methods/recoveryCodes';
import type { RecoveryCodeStore } from '../../domain/ports/recoveryCodeStore';
import type { HmacKeyRing } from '../crypto/keyRing';

/** In-memory recovery codes, HMACs only, single use. */
export class MemoryRecoveryCodeStore implements RecoveryCodeStore {
  private readonly sets = new Map<string, Set<string>>();

  constructor(private readonly hmac: HmacKeyRing) {}

  private k(user: UserRef): string {
    return `${user.tenantId}:${user.objectId}`;
  }
  private material(user: UserRef, code: string): string {
    return `${this.k(user)}:${normaliseRecoveryCode(code)}`;
  }

  async replace(user: UserRef, codes: readonly string[]): Promise<void> {
    this.sets.set(
      this.k(user),
      new Set(codes.map((c) => Object.values(this.hmac.sign(this.material(user, c))).join(':'))),
    );
  }

  async consume(user: UserRef, code: string): Promise<boolean> {
    const s = this.sets.get(this.k(user));
    if (!s) return false;
    for (const [kid, mac] of Object.entries(this.hmac.signAll(this.material(user, code)))) if (s.delete(`${kid}:${mac}`)) return true;
    return false;
  }

  async remaining(user: UserRef): Promise<number> {
    return this.sets.get(this.k(user))?.size ?? 0;
  }

  async clear(user: UserRef): Promise<void> {
    this.sets.delete(this.k(user));
  }
}
