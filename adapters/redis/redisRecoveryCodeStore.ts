import type Redis from 'ioredis';
import type { UserRef } from '../../domain/model/user';
import type { RecoveryCodeStore } from '../../domain/ports/recoveryCodeStore';
import { normaliseRecoveryCode } from '../../domain/methods/recoveryCodes';
import type { HmacKeyRing } from '../crypto/keyRing';
import type { RedisKeys } from './redisKeys';

/** Recovery codes as a Redis set of `kid:hmac`; SREM is the atomic single use. */
export class RedisRecoveryCodeStore implements RecoveryCodeStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly hmac: HmacKeyRing,
  ) {}

  private material(user: UserRef, code: string): string {
    return `${user.tenantId}:${user.objectId}:${normaliseRecoveryCode(code)}`;
  }

  async replace(user: UserRef, codes: readonly string[]): Promise<void> {
    const key = this.keys.recoveryCodes(user);
    const members = codes.map((c) => {
      const { kid, mac } = this.hmac.sign(this.material(user, c));
      return `${kid}:${mac}`;
    });
    const m = this.redis.multi().del(key);
    if (members.length) m.sadd(key, ...members);
    await m.exec();
  }

  async consume(user: UserRef, code: string): Promise<boolean> {
    const all = this.hmac.signAll(this.material(user, code));
    const members = Object.entries(all).map(([kid, mac]) => `${kid}:${mac}`);
    const removed = await this.redis.srem(this.keys.recoveryCodes(user), ...members);
    return removed > 0;
  }

  async remaining(user: UserRef): Promise<number> {
    return this.redis.scard(this.keys.recoveryCodes(user));
  }

  async clear(user: UserRef): Promise<void> {
    await this.redis.del(this.keys.recoveryCodes(user));
  }
}
