import type { AuditEvent } from '../../domain/ports/auditLog';
import type { UserRef } from '../../domain/model/user';
import type { InsightsReport } from '../../domain/insights/getInsights';

/** One audit event at a time, in the shapes the use-cases write them (domain/recovery, codes, securityInfo, helpdesk). */
export interface TimedEvent {
  readonly at: number;
  readonly event: AuditEvent;
}

export const TENANT = '00000000-0000-0000-0000-000000000001';
export const WEEK_START = Date.UTC(2026, 10, 16); // Monday 16 November 2026, 00:00 UTC
const DAY = 86_400_000;
const H = 3_600_000;

export const user = (n: number): UserRef => ({ tenantId: TENANT, objectId: `bbbbbbbb-0000-4000-8000-${String(n).padStart(12, '0')}` });

/**
 * A scripted week, by user: every user's events are one sequence (turns of a conversation are serialised), different
 * users' sequences may interleave. The expected numbers in insights.test.ts are worked out by hand from this script.
 */
export function scriptedWeek(): TimedEvent[][] {
  const seqs: TimedEvent[][] = [];
  let corr = 0;
  const ev = (at: number, e: Omit<AuditEvent, 'correlationId'>): TimedEvent => ({ at, event: { correlationId: `corr${++corr}`, ...e } });
  const t = (day: number, hour: number, sec = 0): number => WEEK_START + day * DAY + hour * H + sec * 1000;

  /** Start, one proof, verified, finished after `seconds`. */
  const reset = (n: number, day: number, hour: number, seconds: number, goal: 'reset' | 'unlock' = 'reset'): TimedEvent[] => [
    ev(t(day, hour), { type: `recovery.${goal}.start`, user: user(n), outcome: 'success', detail: { required: 1, privileged: false } }),
    ev(t(day, hour, 5), { type: 'code.send', user: user(n), methodKind: 'email', outcome: 'success', detail: { channel: 'email', purpose: 'verify', to: 'u•••@fabrikam.example' } }),
    ev(t(day, hour, 10), { type: 'verification.proof', user: user(n), methodKind: 'email', outcome: 'success', detail: { goal } }),
    ev(t(day, hour, 20), { type: 'verification.verified', user: user(n), outcome: 'success', detail: { methods: 1, goal } }),
    ev(t(day, hour, seconds), { type: goal === 'reset' ? 'recovery.password_reset' : 'recovery.account_unlock', user: user(n), outcome: 'success' }),
  ];
  const refusedStart = (n: number, day: number, reason: string): TimedEvent[] => [
    ev(t(day, 11), { type: 'recovery.reset.start', user: user(n), outcome: 'refused', reason }),
  ];
  const sms = (n: number, day: number, hour: number, country: string, prefix: string, sec = 0): TimedEvent =>
    ev(t(day, hour, sec), {
      type: 'code.send',
      user: user(n),
      methodKind: 'mobilePhone',
      outcome: 'success',
      detail: { channel: 'sms', purpose: 'verify', to: '•••••••••12', country, prefix },
    });

  // Day 0 (Mon): five people register a phone and an e-mail; one reset; a group chat (R1) and a guest (R2) refused.
  for (let n = 1; n <= 5; n++)
    seqs.push([
      ev(t(0, 9, n), { type: 'method.register', user: user(100 + n), methodKind: 'mobilePhone', outcome: 'success', detail: { to: '•••••••••12' } }),
      ev(t(0, 9, 60 + n), { type: 'method.register', user: user(100 + n), methodKind: 'email', outcome: 'success', detail: { to: 'u•••@fabrikam.example' } }),
    ]);
  seqs.push([ev(t(0, 8), { type: 'event.gate_refused', outcome: 'refused', reason: 'not_personal', detail: { rule: 'R1' } })]);
  seqs.push([ev(t(0, 8, 30), { type: 'event.gate_refused', user: user(900), outcome: 'refused', reason: 'guest', detail: { rule: 'R2' } })]);
  seqs.push(reset(1, 0, 10, 50));
  // Day 1 (Tue): three authenticator apps (activated), one refused question set; two resets.
  for (let n = 1; n <= 3; n++)
    seqs.push([
      ev(t(1, 9, n), { type: 'method.enrol.start', user: user(110 + n), methodKind: 'authenticatorApp', outcome: 'info' }),
      ev(t(1, 9, 30 + n), { type: 'method.enrol.confirm', user: user(110 + n), methodKind: 'authenticatorApp', outcome: 'success' }),
    ]);
  seqs.push([ev(t(1, 9, 50), { type: 'method.register', user: user(120), methodKind: 'securityQuestions', outcome: 'refused', reason: 'answer_too_short' })]);
  seqs.push(reset(2, 1, 10, 70), reset(3, 1, 14, 100));
  // Day 2 (Wed): two resets; two people not registered; a helpdesk hand-off that ends done, one refused.
  seqs.push(reset(4, 2, 10, 130), reset(5, 2, 15, 200), refusedStart(30, 2, 'not_registered'), refusedStart(31, 2, 'not_registered'));
  seqs.push([
    ev(t(2, 13), { type: 'helpdesk.handoff_create', user: user(40), outcome: 'success', detail: { handoff: 'h1', purpose: 'reset', agentKind: 'teams' } }),
    ev(t(2, 13, 600), { type: 'helpdesk.handoff_status', user: user(40), outcome: 'success', detail: { handoff: 'h1', status: 'done' } }),
  ]);
  seqs.push([ev(t(2, 13, 5), { type: 'helpdesk.handoff_create', outcome: 'refused', reason: 'not_agent', detail: { agentKind: 'teams' } })]);
  // A caller verification (R38, goal 'verify') after a reset of the same user: it counts in no reset funnel.
  seqs.push([
    ...reset(42, 2, 16, 60),
    ev(t(2, 17), { type: 'recovery.verify.start', user: user(42), outcome: 'success', detail: { required: 1, privileged: false } }),
    ev(t(2, 17, 10), { type: 'verification.proof', user: user(42), methodKind: 'email', outcome: 'failure', reason: 'wrong', detail: { goal: 'verify' } }),
    ev(t(2, 17, 20), { type: 'verification.verified', user: user(42), outcome: 'success', detail: { methods: 1, goal: 'verify' } }),
  ]);
  // Day 3 (Thu): one person fails five proofs and is blocked (no reset); another resets.
  seqs.push([
    ev(t(3, 9), { type: 'recovery.reset.start', user: user(6), outcome: 'success', detail: { required: 1, privileged: false } }),
    ...[1, 2, 3, 4, 5].map((i) => ev(t(3, 9, i * 30), { type: 'verification.proof', user: user(6), methodKind: 'email', outcome: 'failure', reason: 'wrong', detail: { goal: 'reset' } })),
    ev(t(3, 9, 151), { type: 'verification.blocked', user: user(6), outcome: 'info', reason: 'too_many_failures', detail: { until: '2026-11-20T09:02:31.000Z' } }),
  ]);
  seqs.push(reset(7, 3, 12, 250));
  // Day 4 (Fri): a reset; the blocked person tries again and is refused; a hand-off that expires.
  seqs.push(reset(8, 4, 10, 400), refusedStart(6, 4, 'blocked'));
  seqs.push([
    ev(t(4, 13), { type: 'helpdesk.handoff_create', user: user(41), outcome: 'success', detail: { handoff: 'h2', purpose: 'unlock', agentKind: 'api' } }),
    ev(t(4, 13, 900), { type: 'helpdesk.handoff_status', user: user(41), outcome: 'failure', detail: { handoff: 'h2', status: 'expired' } }),
  ]);
  // Day 5 (Sat): a quick reset and two unlocks.
  seqs.push(reset(9, 5, 10, 40), reset(10, 5, 11, 80, 'unlock'), reset(11, 5, 12, 90, 'unlock'));
  // Day 6 (Sun): a slow reset; one whose first password the directory refuses (history), then accepted.
  seqs.push(reset(12, 6, 8, 1000));
  const u13 = reset(13, 6, 9, 320);
  u13.splice(4, 0, ev(t(6, 9, 200), { type: 'recovery.password_reset', user: user(13), outcome: 'refused', reason: 'directory_history' }));
  seqs.push(u13);

  // SMS: two a day at 09:00 to NL (+31612) on days 0–5; on day 6 a spike at 10:00: 20 to NL +31612, 10 to BE +32470,
  // and the R30 alert; three sends refused by the per-user throttle and one by the prefix velocity limit.
  for (let day = 0; day <= 6; day++) seqs.push([sms(50, day, 9, 'NL', '+31612', 1), sms(51, day, 9, 'NL', '+31612', 2)]);
  for (let i = 0; i < 30; i++) seqs.push([sms(60 + i, 6, 10, i < 20 ? 'NL' : 'BE', i < 20 ? '+31612' : '+32470', i)]);
  seqs.push([ev(t(6, 10, 40), { type: 'telephony.alert', outcome: 'info', reason: 'hourly_sends_above_baseline', detail: { hourCount: 4, baselinePerHour: 1 } })]);
  for (let i = 0; i < 3; i++)
    seqs.push([ev(t(6, 10, 50 + i), { type: 'code.send', user: user(60), methodKind: 'mobilePhone', outcome: 'refused', reason: 'throttled', detail: { channel: 'sms', purpose: 'verify', to: '•••••••••12' } })]);
  seqs.push([ev(t(6, 10, 55), { type: 'code.send', user: user(61), methodKind: 'mobilePhone', outcome: 'refused', reason: 'destination_prefix_velocity', detail: { channel: 'sms', purpose: 'verify', to: '•••••••••12' } })]);
  return seqs;
}

/** The numbers worked out by hand from test/insights/insightsWeek.ts. */
export function expectTheWeek(v: InsightsReport): void {
  expect(v.days).toEqual(['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']);
  expect(v.daily).toEqual({
    resets: [1, 2, 3, 1, 1, 1, 2],
    unlocks: [0, 0, 0, 0, 0, 2, 0],
    registrations: [10, 3, 0, 0, 0, 0, 0],
    blocks: [0, 0, 0, 1, 0, 0, 0],
    throttles: [0, 0, 0, 0, 0, 0, 4],
    sms: [2, 2, 2, 2, 2, 2, 32],
    voice: [0, 0, 0, 0, 0, 0, 0],
    email: [1, 2, 3, 1, 1, 3, 2],
    phoneBaseline: [0, 0.29, 0.57, 0.86, 1.14, 1.43, 1.71],
  });
  expect(v.totals).toEqual({ resets: 11, unlocks: 2, registrations: 13, blocks: 1, throttles: 4, gateRefusals: 2, talkRequests: 0 });
  expect(v.funnel.reset).toEqual({
    started: 12,
    verified: 11,
    done: 11,
    refused: 3,
    failed: 1,
    topReasons: [
      { key: 'verification_wrong', count: 5 },
      { key: 'blocked', count: 2 },
      { key: 'not_registered', count: 2 },
      { key: 'directory_history', count: 1 },
    ],
  });
  expect(v.funnel.unlock).toEqual({ started: 2, verified: 2, done: 2, refused: 0, failed: 0, topReasons: [] });
  expect(v.registrations).toEqual({
    byKind: [
      { key: 'email', count: 5 },
      { key: 'mobilePhone', count: 5 },
      { key: 'authenticatorApp', count: 3 },
    ],
    changed: 0,
    removed: 0,
    refused: [{ key: 'answer_too_short', count: 1 }],
  });
  expect(v.sends).toEqual({
    byChannel: { sms: 44, voice: 0, email: 13 },
    byCountry: [
      { key: 'NL', count: 34 },
      { key: 'BE', count: 10 },
    ],
    byPrefix: [
      { key: '+31612', count: 34 },
      { key: '+32470', count: 10 },
    ],
    refused: [],
    peakHour: { at: '2026-11-22T10:00:00.000Z', count: 30, baselinePerHour: 1, ratio: 30 },
    alerts: 1,
  });
  expect(v.throttles.byKind).toEqual([
    { key: 'sms', count: 3 },
    { key: 'prefix', count: 1 },
  ]);
  expect(v.gate).toEqual([
    { key: 'R1', count: 1 },
    { key: 'R2', count: 1 },
  ]);
  expect(v.handoffs).toEqual({
    created: 2,
    byPurpose: [
      { key: 'reset', count: 1 },
      { key: 'unlock', count: 1 },
    ],
    outcomes: [
      { key: 'done', count: 1 },
      { key: 'expired', count: 1 },
    ],
    refused: [{ key: 'not_agent', count: 1 }],
  });
  // 40 50 60 70 100 [130] 200 250 320 400 1000 s: the 6th of 11 is in the ≤ 150 s bucket.
  expect(v.timeToReset.finished).toBe(11);
  expect(v.timeToReset.medianSeconds).toBe(150);
  expect(v.timeToReset.histogram.map((h) => h.count)).toEqual([0, 0, 1, 2, 1, 1, 1, 0, 1, 1, 2, 0, 0, 1, 0, 0, 0]);
}

