import type { UserRef } from '../../domain/model/user';
import type { RecordChange } from '../../domain/ports/recordChange';
import type { MemoryMethodStore } from './memoryMethodStore';
import type { MemoryStepUpStore } from './memoryStepUpStore';

/** The memory stores a {@link RecordChange} writes (the state backend links them to the code store and TOTP cache). */
export interface MemoryRecordLinks {
  readonly methods: Pick<MemoryMethodStore, 'stampNow' | 'removeNow'>;
  readonly stepUps: Pick<MemoryStepUpStore, 'recordProofNow' | 'setFlagNow'>;
}

/** Makes the change synchronously: the memory twin of recordChangeLua.ts (no await, so one step with its caller's). */
export function applyRecordChangeNow(links: MemoryRecordLinks, user: UserRef, change: RecordChange): void {
  if (change.confirm) links.methods.stampNow(user, change.confirm.methodId, 'confirmedAt', change.confirm.at);
  for (const flag of change.flags ?? []) links.stepUps.setFlagNow(user, flag);
  if (change.proof) links.stepUps.recordProofNow(user, change.proof.at, change.proof.windowSeconds);
  for (const id of change.remove ?? []) links.methods.removeNow(user, id);
}
