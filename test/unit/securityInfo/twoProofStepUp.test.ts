import { maskEmail, maskPhone } from '../../../domain/methods/registeredMethod';
import type { MethodKind } from '../../../domain/model/methods';
import { STEP_UP_WINDOW_SECONDS } from '../../../domain/securityInfo/proofGate';
import { user } from '../../contract/securityKit';
import { securityInfoKit } from '../../support/securityInfoKit';

/**
 * R31 + R4 (attacker's finding, session 6): with the default policy (two methods for a reset) a user who has
 * confirmed methods of two kinds needs step-up proofs of two of them, of different kinds, before any change to
 * security info — one method read on a stolen laptop is not enough to add the thief's own. Domain level: fixed clock,
 * memory adapters (the chat and the pages API are tested through HTTP in test/dialogs and test/api).
 */
const DAY = 86_400_000;

async function seeded(methods: readonly { id: string; kind: MethodKind; dest: string }[]) {
  const k = securityInfoKit();
  const u = user(`oid-two-proofs-${methods.map((m) => m.id).join('-')}`);
  const long = k.clock.now() - DAY;
  for (const m of methods) {
    const email = m.kind === 'email';
    await k.s.methods.save(u, {
      method: {
        id: m.id,
        kind: m.kind,
        maskedDestination: email ? maskEmail(m.dest) : maskPhone(m.dest),
        confirmedAt: long,
        lastUsedAt: null,
        createdAt: long,
        source: 'user',
        channels: email ? ['email'] : m.kind === 'mobilePhone' ? ['sms', 'voice'] : ['voice'],
      },
      secrets: { destination: m.dest },
    });
  }
  const ctx = { user: u, locale: 'en' as const, flowId: 'flow-two-proofs' };
  const prove = async (choice: string, dest: string): Promise<boolean> => {
    const c = await k.uc.stepUp.challenge(ctx, choice);
    if (!c.ok) return false;
    const code = k.s.outbox!.lastCode(dest)!;
    return (await k.uc.stepUp.prove(ctx, choice, { kind: 'code', code })).ok;
  };
  return { ...k, u, ctx, prove };
}

const MAIL = 'ada@fabrikam.example';
const PHONE = '+31612345678';
const THIEF = '+31687654321';

describe('R31 R4: a change to security info needs proofs of two methods of different kinds', () => {
  test('R31: stolen laptop — one proof (the e-mail open in the browser) cannot add a phone, make recovery codes, replace the authenticator or remove a method', async () => {
    const { s, uc, u, ctx, prove } = await seeded([
      { id: 'mail', kind: 'email', dest: MAIL },
      { id: 'phone', kind: 'mobilePhone', dest: PHONE },
    ]);
    expect(await prove('mail~email', MAIL)).toBe(true);
    expect(await uc.stepUp.needed(ctx)).toBe('second_proof_required');
    // The second proof may only be a method of another kind.
    expect((await uc.stepUp.choices(ctx)).map((m) => m.id)).toEqual(['phone~sms', 'phone~voice']);
    expect(await uc.beginAdd.run(ctx, { kind: 'mobilePhone', destination: THIEF })).toEqual({ ok: false, reason: 'second_proof_required' });
    expect(await uc.createRecoveryCodes.run(ctx)).toEqual({ ok: false, reason: 'second_proof_required' });
    expect(await uc.enrolAuthenticator.run(ctx, 'thief')).toEqual({ ok: false, reason: 'second_proof_required' });
    expect(await uc.remove.run(ctx, 'phone')).toEqual({ ok: false, reason: 'second_proof_required' });
    expect(s.outbox!.lastCode(THIEF)).toBeUndefined();
    expect((await s.methods.list(u)).map((m) => m.id).sort()).toEqual(['mail', 'phone']);
    // Proving the e-mail again is not a second proof.
    expect((await uc.stepUp.challenge(ctx, 'mail~email')).ok).toBe(false);
    // The owner proves the phone too: now the change goes ahead.
    expect(await prove('phone~sms', PHONE)).toBe(true);
    expect(await uc.stepUp.needed(ctx)).toBe('none');
    expect((await uc.createRecoveryCodes.run(ctx)).ok).toBe(true);
  });

  test('R31 R4: SMS and a call to the same number are one kind — a user with only that phone steps up with one proof', async () => {
    const { uc, ctx, prove } = await seeded([
      { id: 'mob', kind: 'mobilePhone', dest: PHONE },
      { id: 'office', kind: 'officePhone', dest: PHONE },
    ]);
    expect(await prove('mob~sms', PHONE)).toBe(true);
    expect(await uc.stepUp.needed(ctx)).toBe('none');
  });

  test('R31: a user with one method still adds a second with one proof, and the rest of that step-up needs no more', async () => {
    const { s, uc, u, ctx, prove } = await seeded([{ id: 'mail', kind: 'email', dest: MAIL }]);
    expect(await prove('mail~email', MAIL)).toBe(true);
    const begun = await uc.beginAdd.run(ctx, { kind: 'mobilePhone', destination: PHONE });
    expect(begun.ok).toBe(true);
    if (!begun.ok) return;
    expect((await uc.confirm.run(ctx, begun.value.methodId, s.outbox!.lastCode(PHONE)!)).ok).toBe(true);
    expect((await s.methods.list(u)).filter((m) => m.confirmedAt !== null)).toHaveLength(2);
    // The phone was confirmed after this step-up started: it does not raise what this step-up needs.
    expect(await uc.stepUp.needed(ctx)).toBe('none');
    expect((await uc.createRecoveryCodes.run(ctx)).ok).toBe(true);
  });

  test('R31: a method confirmed after the step-up started never serves as the second proof', async () => {
    const { clock, s, uc, ctx, prove } = await seeded([
      { id: 'mail', kind: 'email', dest: MAIL },
      { id: 'phone', kind: 'mobilePhone', dest: PHONE },
    ]);
    expect(await prove('mail~email', MAIL)).toBe(true);
    clock.advance(5 * 60_000);
    expect(await prove('phone~sms', PHONE)).toBe(true);
    clock.advance(1000);
    // Both proven: an office phone is added (created and confirmed inside this step-up).
    const begun = await uc.beginAdd.run(ctx, { kind: 'officePhone', destination: THIEF });
    expect(begun.ok).toBe(true);
    if (!begun.ok) return;
    expect((await uc.confirm.run(ctx, begun.value.methodId, s.outbox!.lastCode(THIEF)!)).ok).toBe(true);
    // The e-mail's proof runs out; the phone's is still live. The second proof must be the e-mail again — the office
    // phone added during this step-up is not offered and does not count.
    clock.advance(STEP_UP_WINDOW_SECONDS * 1000 - 5 * 60_000);
    expect(await uc.stepUp.needed(ctx)).toBe('second_proof_required');
    expect((await uc.stepUp.choices(ctx)).map((m) => m.id)).toEqual(['mail~email']);
  });
});
