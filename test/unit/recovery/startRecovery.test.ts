import { DEFAULT_POLICY, type Policy } from '../../../domain/policy/policy';
import { recoveryRig } from '../../support/recoveryHarness';
import { confirmed } from '../../support/recoveryFakes';

const alice = { tenantId: 't1', objectId: 'alice' };
const pair = [confirmed('sms', 'mobilePhone', { phoneKey: 'p1' }), confirmed('mail', 'email')];
const input = (goal: 'reset' | 'unlock' = 'reset') => ({ user: alice, conversationId: 'conv-a', goal, correlationId: 'corr-1' });

describe('startRecovery (SSPR doctor)', () => {
  test('R4: a registered user gets a flow bound to user and conversation with the allowed choices', async () => {
    const rig = recoveryRig();
    rig.directory.add(alice);
    rig.methods.set(alice, pair);
    const r = await rig.start.execute(input());
    if (!r.ok) throw new Error(r.auditReason);
    expect(r.flow.flowId).toMatch(/^[0-9a-f]{32}$/); // 128 bits
    expect(r.flow).toMatchObject({ user: alice, conversationId: 'conv-a', required: 2, state: { name: 'choosingMethod' } });
    expect(r.flow.expiresAt - r.flow.startedAt).toBe(900_000);
    expect(r.choices.map((c) => c.id).sort()).toEqual(['mail', 'sms']);
    expect(rig.audit.types()).toEqual(['recovery.reset.start:success']);
  });

  test('R3: a privileged user needs two methods and cannot use security questions', async () => {
    const policy: Policy = {
      ...DEFAULT_POLICY,
      methods: { ...DEFAULT_POLICY.methods, requiredForReset: 1, enabled: [...DEFAULT_POLICY.methods.enabled, 'securityQuestions'] },
    };
    const rig = recoveryRig({ policy });
    rig.directory.add(alice, { privileged: true });
    rig.methods.set(alice, [confirmed('mail', 'email'), confirmed('q', 'securityQuestions')]);
    const refused = await rig.start.execute(input());
    expect(refused).toEqual({ ok: false, publicReason: 'cannot_continue', auditReason: 'insufficient_methods' });
    rig.methods.set(alice, [confirmed('mail', 'email'), confirmed('q', 'securityQuestions'), confirmed('app', 'authenticatorApp')]);
    const r = await rig.start.execute(input());
    if (!r.ok) throw new Error(r.auditReason);
    expect(r.flow.required).toBe(2);
    expect(r.choices.map((c) => c.id).sort()).toEqual(['app', 'mail']);
  });

  test('R3: with privilegedRoute "helpdesk" a privileged user is sent to the helpdesk before any code', async () => {
    const policy: Policy = { ...DEFAULT_POLICY, methods: { ...DEFAULT_POLICY.methods, privilegedRoute: 'helpdesk' } };
    const rig = recoveryRig({ policy });
    rig.directory.add(alice, { privileged: true });
    rig.methods.set(alice, pair);
    expect(await rig.start.execute(input())).toEqual({ ok: false, publicReason: 'cannot_continue', auditReason: 'privileged_helpdesk' });
    expect(rig.prover.sent).toHaveLength(0);
  });

  test('R17: scope by directory groups; out-of-scope users get the same answer as everyone refused', async () => {
    const policy: Policy = { ...DEFAULT_POLICY, scope: { mode: 'groups', groups: ['SSPR-Users'] } };
    const rig = recoveryRig({ policy });
    rig.directory.add(alice, { groups: ['Sales'] });
    rig.methods.set(alice, pair);
    expect(await rig.start.execute(input())).toEqual({ ok: false, publicReason: 'cannot_continue', auditReason: 'out_of_scope' });
    rig.directory.add(alice, { groups: ['SSPR-Users'] });
    expect((await rig.start.execute(input())).ok).toBe(true);
  });

  test('R22: directory unreachable and unlock unsupported are explained the same way for every user', async () => {
    const rig = recoveryRig();
    rig.directory.add(alice);
    rig.methods.set(alice, pair);
    rig.directory.canUnlock = false;
    expect(await rig.start.execute(input('unlock'))).toEqual({ ok: false, publicReason: 'unlock_not_supported', auditReason: 'unlock_not_supported' });
    rig.directory.faults.unreachable = true;
    expect(await rig.start.execute(input())).toEqual({ ok: false, publicReason: 'temporarily_unavailable', auditReason: 'directory_unreachable' });
    expect(rig.audit.events.every((e) => e.outcome === 'refused')).toBe(true);
  });

  test('R2: the account examined is the UserRef passed in — the only directory lookup is by object id', async () => {
    const rig = recoveryRig();
    rig.directory.add(alice);
    rig.methods.set(alice, pair);
    const spy = jest.spyOn(rig.directory, 'findByPrincipalName');
    const found = jest.spyOn(rig.directory, 'findUser');
    await rig.start.execute(input());
    expect(found).toHaveBeenCalledWith(alice);
    expect(spy).not.toHaveBeenCalled();
  });
});
