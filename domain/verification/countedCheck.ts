import { fail, type Result } from '../errors';
import type { UserRef } from '../model/user';
import type { VerificationBlock } from '../ports/verificationBlock';

/**
 * R34 + R9: the one way any code, TOTP or answer is checked outside the recovery state machine (step-up,
 * re-confirmation, registration codes, authenticator enrolment — chat, tab and dialog pages alike): an active block
 * refuses before the check runs, and a wrong answer counts toward the per-user block (the one that blocks is
 * answered `blocked` with `retryAt`).
 */
export async function countedCheck<T, R extends string>(
  block: VerificationBlock,
  user: UserRef,
  isWrong: (reason: R) => boolean,
  check: () => Promise<Result<T, R>>,
): Promise<Result<T, R | 'blocked'>> {
  const until = await block.blockedUntil(user);
  if (until !== null) return fail('blocked', until);
  const r = await check();
  if (r.ok || !isWrong(r.reason)) return r;
  const counted = await block.recordFailure(user);
  return counted.blockedUntil !== null ? fail('blocked', counted.blockedUntil) : r;
}
