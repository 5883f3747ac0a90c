import { maskEmail } from '../../../domain/methods/registeredMethod';
import { STEP_UP_WINDOW_SECONDS } from '../../../domain/securityInfo/proofGate';
import { user } from '../../contract/securityKit';
import { securityInfoKit } from '../../support/securityInfoKit';

/** R31: the step-up window, with a fixed clock and the in-memory adapters (the HTTP attack tests use real Redis). */
const kit = () => securityInfoKit();

describe('R31: the step-up is the user\'s, for 10 minutes, on every surface', () => {
  test('R31: a proof holds for 10 minutes for the user (any flow id), not a second longer', async () => {
    const { clock, s, uc } = kit();
    const u = user('oid-window');
    const now = clock.now();
    await s.methods.save(u, {
      method: { id: 'm1', kind: 'email', maskedDestination: maskEmail('a@example.org'), confirmedAt: now, lastUsedAt: null, createdAt: now, source: 'user', channels: ['email'] },
      secrets: { destination: 'a@example.org' },
    });
    const ctx = (flowId: string) => ({ user: u, locale: 'en' as const, flowId });
    expect(await uc.stepUp.needed(ctx('flow-a'))).toBe('proof_required');
    expect((await uc.stepUp.challenge(ctx('flow-a'), 'm1~email')).ok).toBe(true);
    const code = s.outbox!.lastCode('a@example.org')!;
    expect((await uc.stepUp.prove(ctx('flow-a'), 'm1~email', { kind: 'code', code })).ok).toBe(true);
    // Another flow (another conversation, or the tab) of the same user: proven.
    expect(await uc.stepUp.needed(ctx('flow-b'))).toBe('none');
    expect(await uc.stepUp.needed({ user: user('someone-else') })).toBe('bootstrap_required');
    clock.advance(STEP_UP_WINDOW_SECONDS * 1000);
    expect(await uc.stepUp.needed(ctx('flow-b'))).toBe('none');
    clock.advance(1000);
    expect(await uc.stepUp.needed(ctx('flow-b'))).toBe('proof_required');
    expect(await uc.remove.run(ctx('flow-b'), 'm1')).toEqual({ ok: false, reason: 'proof_required' });
    expect((await s.methods.list(u)).map((m) => m.id)).toEqual(['m1']);
  });
});
