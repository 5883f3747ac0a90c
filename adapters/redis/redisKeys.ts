import type { UserRef } from '../../domain/model/user';

/**
 * Key names. Every key of one user carries the hash tag `{u:<tenant>:<oid>}` so Redis Cluster keeps them in one slot
 * and multi-key scripts never hit CROSSSLOT (F20). Shared counters use their own tag.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  userTag(user: UserRef): string {
    return `{u:${user.tenantId}:${user.objectId}}`;
  }
  methods(user: UserRef): string {
    return `${this.prefix}${this.userTag(user)}:methods`;
  }
  code(user: UserRef, purpose: string, methodId: string): string {
    return `${this.prefix}${this.userTag(user)}:code:${purpose}:${methodId}`;
  }
  /** A verification flow's hash (RedisFlowStore): same hash tag as the user's codes, so F16's script is one slot. */
  flow(user: UserRef, flowId: string): string {
    return `${this.prefix}${this.userTag(user)}:flow:${flowId}`;
  }
  /** A flow's grant hash (RedisGrantStore); same hash tag, so the TOTP acceptance script issues it in one slot. */
  grant(user: UserRef, flowId: string): string {
    return `${this.prefix}${this.userTag(user)}:grant:${flowId}`;
  }
  codeIssued(user: UserRef, purpose: string, methodId: string): string {
    return `${this.prefix}${this.userTag(user)}:code-issued:${purpose}:${methodId}`;
  }
  totpStep(user: UserRef, step: number): string {
    return `${this.prefix}${this.userTag(user)}:totp-step:${step}`;
  }
  recoveryCodes(user: UserRef): string {
    return `${this.prefix}${this.userTag(user)}:recovery`;
  }
  /** Prefix (without the trailing key) of a throttle bucket, for rate-limiter-flexible's keyPrefix. */
  throttlePrefix(name: string): string {
    return `${this.prefix}rl:${name}`;
  }
  userBucket(user: UserRef, subject: string): string {
    return `${this.userTag(user)}:${subject}`;
  }
  sharedBucket(pseudonymousSubject: string): string {
    return `{s:${pseudonymousSubject}}`;
  }
  telephonyHour(hourIndex: number): string {
    return `${this.prefix}{tel}:hour:${hourIndex}`;
  }
}
