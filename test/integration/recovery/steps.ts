import type Redis from 'ioredis';
import type { UserRef } from '../../../domain/model/user';
import type { RecoveryGoal } from '../../../domain/verification/stateMachine';
import type { RecoveryRig } from '../../support/recoveryHarness';

/** Start a flow and send a code to `methodId`; returns the flow id. */
export async function beginWithCode(rig: RecoveryRig, user: UserRef, conv: string, methodId = 'sms', goal: RecoveryGoal = 'reset'): Promise<string> {
  const started = await rig.start.execute({ user, conversationId: conv, goal, correlationId: 'c-start' });
  if (!started.ok) throw new Error(`start refused: ${started.auditReason}`);
  const ch = await rig.challenge.execute({ user, conversationId: conv, flowId: started.flow.flowId, methodId, locale: 'en', correlationId: 'c-ch' });
  if (!ch.ok) throw new Error(`challenge refused: ${ch.reason}`);
  return started.flow.flowId;
}

/** Prove the code last sent to `methodId`. */
export async function proveCode(rig: RecoveryRig, user: UserRef, conv: string, flowId: string, methodId: string) {
  return rig.proof.execute({
    user,
    conversationId: conv,
    flowId,
    response: { kind: 'code', code: rig.prover.lastCode(methodId) },
    locale: 'en',
    correlationId: 'c-proof',
  });
}

/** Full verification with sms + mail; returns the flow id holding a grant. */
export async function verifyFully(rig: RecoveryRig, user: UserRef, conv: string, goal: RecoveryGoal = 'reset'): Promise<string> {
  const flowId = await beginWithCode(rig, user, conv, 'sms', goal);
  const first = await proveCode(rig, user, conv, flowId, 'sms');
  if (!first.ok || first.value.status !== 'next_method') throw new Error('first proof failed');
  const ch = await rig.challenge.execute({ user, conversationId: conv, flowId, methodId: 'mail', locale: 'en', correlationId: 'c-ch2' });
  if (!ch.ok) throw new Error(`second challenge refused: ${ch.reason}`);
  const second = await proveCode(rig, user, conv, flowId, 'mail');
  if (!second.ok || second.value.status !== 'verified') throw new Error('second proof failed');
  return flowId;
}

export const wrongCode = (rig: RecoveryRig, user: UserRef, conv: string, flowId: string) =>
  rig.proof.execute({ user, conversationId: conv, flowId, response: { kind: 'code', code: '000000' }, locale: 'en', correlationId: 'c-wrong' });

/** Resolves once the client is connected (clients without an offline queue fail commands before that). */
export async function ready(c: Redis): Promise<void> {
  if (c.status === 'ready') return;
  await new Promise<void>((resolve) => c.once('ready', () => resolve()));
}
