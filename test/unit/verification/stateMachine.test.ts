import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transition, type FlowRecord, type FlowState } from '../../../domain/verification/stateMachine';
import { confirmed } from '../../support/recoveryFakes';

const T0 = Date.UTC(2026, 10, 25, 9);
const usable = [confirmed('sms', 'mobilePhone', { phoneKey: 'p1' }), confirmed('mail', 'email'), confirmed('app', 'authenticatorApp')];
const flow = (state: FlowState, required: 1 | 2 = 2): FlowRecord => ({
  flowId: 'f',
  user: { tenantId: 't', objectId: 'o' },
  conversationId: 'c',
  goal: 'reset',
  startedAt: T0,
  expiresAt: T0 + 900_000,
  required,
  privileged: false,
  state,
  version: 0,
});
const ctx = { now: T0 + 1000, usable };

describe('verification state machine', () => {
  test('R4: two proofs of different kinds lead to verified', () => {
    let s: FlowState = { name: 'choosingMethod', proved: [] };
    const step = (e: Parameters<typeof transition>[1]): void => {
      const r = transition(flow(s), e, ctx);
      if (!r.ok) throw new Error(r.reason);
      s = r.value;
    };
    step({ type: 'choose', methodId: 'sms' });
    expect(s).toEqual({ name: 'challengeSent', proved: [], methodId: 'sms' });
    step({ type: 'proofAccepted' });
    expect(s).toEqual({ name: 'choosingMethod', proved: ['sms'] });
    expect(transition(flow(s), { type: 'choose', methodId: 'sms' }, ctx)).toEqual({ ok: false, reason: 'method_not_allowed' });
    step({ type: 'choose', methodId: 'app' });
    step({ type: 'proofAccepted' });
    expect(s).toMatchObject({ name: 'verified', proved: ['sms', 'app'] });
  });

  test('R9: a wrong answer keeps the challenge; a block ends the flow; an expired code returns to the choice', () => {
    const sent: FlowState = { name: 'challengeSent', proved: [], methodId: 'mail' };
    expect(transition(flow(sent), { type: 'proofRefused', reason: 'wrong', blockedUntil: null }, ctx)).toEqual({ ok: true, value: sent });
    expect(transition(flow(sent), { type: 'proofRefused', reason: 'wrong', blockedUntil: T0 + 5 }, ctx)).toEqual({
      ok: true,
      value: { name: 'blocked', proved: [], until: T0 + 5 },
    });
    expect(transition(flow(sent), { type: 'proofRefused', reason: 'expired', blockedUntil: null }, ctx)).toEqual({
      ok: true,
      value: { name: 'choosingMethod', proved: [] },
    });
  });

  test('R16: any event after the flow maximum expires the flow; terminal states take no events', () => {
    const late = { now: T0 + 900_000, usable };
    expect(transition(flow({ name: 'choosingMethod', proved: [] }), { type: 'choose', methodId: 'sms' }, late)).toEqual({
      ok: true,
      value: { name: 'expired' },
    });
    for (const s of [{ name: 'expired' }, { name: 'verified', proved: [], verifiedAt: 1 }, { name: 'blocked', proved: [], until: 1 }] as FlowState[]) {
      expect(transition(flow(s), { type: 'proofAccepted' }, ctx)).toEqual({ ok: false, reason: 'invalid_transition' });
    }
  });

  test('R4: no distinct method left after the first proof fails the flow instead of looping', () => {
    const one = [confirmed('sms', 'mobilePhone', { phoneKey: 'p1' }), confirmed('voice', 'officePhone', { phoneKey: 'p1' }), confirmed('mail', 'email')];
    const r = transition(flow({ name: 'challengeSent', proved: ['mail'], methodId: 'sms' }), { type: 'proofAccepted' }, { now: T0, usable: one });
    expect(r).toEqual({ ok: true, value: { name: 'verified', proved: ['mail', 'sms'], verifiedAt: T0 } });
    const r2 = transition(flow({ name: 'challengeSent', proved: [], methodId: 'sms' }), { type: 'proofAccepted' }, { now: T0, usable: one.slice(0, 2) });
    expect(r2).toEqual({ ok: true, value: { name: 'failed', reason: 'no_methods_left' } });
  });

  test('the Mermaid diagram names every state of the machine', () => {
    const md = readFileSync(join(__dirname, '../../../domain/verification/stateMachine.md'), 'utf8');
    expect(md).toContain('```mermaid');
    for (const name of ['choosingMethod', 'challengeSent', 'verified', 'blocked', 'failed', 'expired']) expect(md).toContain(name);
  });
});
