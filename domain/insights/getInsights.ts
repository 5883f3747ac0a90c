import type { Result } from '../errors';
import { fail, ok } from '../errors';
import type { Clock } from '../ports/clock';
import { DAY_MS, HOUR_MS, INSIGHTS_GROUP_CAP, INSIGHTS_RETENTION_DAYS, type CoverageSnapshot, type InsightsStore } from '../ports/insightsStore';
import { DURATION_BOUNDS_SECONDS, histogramMedian } from './durationHistogram';

export interface Ranked {
  readonly key: string;
  readonly count: number;
}

export interface FunnelView {
  readonly started: number;
  readonly verified: number;
  readonly done: number;
  readonly refused: number;
  readonly failed: number;
  /** Why people did not get to "done": start refusals, failed proofs, blocks, directory refusals — most first. */
  readonly topReasons: readonly Ranked[];
}

/** What the Insights page and `GET /api/admin/insights` show for a range of UTC days. */
export interface InsightsReport {
  readonly from: string;
  readonly to: string;
  /** The UTC days of the range, `YYYY-MM-DD`; every `daily` series has one value per day. */
  readonly days: readonly string[];
  readonly daily: {
    readonly resets: readonly number[];
    readonly unlocks: readonly number[];
    readonly registrations: readonly number[];
    readonly blocks: readonly number[];
    readonly throttles: readonly number[];
    readonly sms: readonly number[];
    readonly voice: readonly number[];
    readonly email: readonly number[];
    /** R30: the average SMS + voice sends of the 7 days before each day. */
    readonly phoneBaseline: readonly number[];
  };
  readonly totals: {
    readonly resets: number;
    readonly unlocks: number;
    readonly registrations: number;
    readonly blocks: number;
    readonly throttles: number;
    readonly gateRefusals: number;
    readonly talkRequests: number;
  };
  readonly funnel: { readonly reset: FunnelView; readonly unlock: FunnelView };
  readonly registrations: { readonly byKind: readonly Ranked[]; readonly changed: number; readonly removed: number; readonly refused: readonly Ranked[] };
  readonly sends: {
    readonly byChannel: { readonly sms: number; readonly voice: number; readonly email: number };
    readonly byCountry: readonly Ranked[];
    readonly byPrefix: readonly Ranked[];
    readonly refused: readonly Ranked[];
    /** R30: the hour with the most SMS + voice sends against its 7-day hourly baseline (3× raises an alert). */
    readonly peakHour: { readonly at: string; readonly count: number; readonly baselinePerHour: number; readonly ratio: number } | null;
    readonly alerts: number;
  };
  readonly throttles: { readonly byKind: readonly Ranked[] };
  readonly gate: readonly Ranked[];
  readonly handoffs: { readonly created: number; readonly byPurpose: readonly Ranked[]; readonly outcomes: readonly Ranked[]; readonly refused: readonly Ranked[] };
  readonly timeToReset: {
    readonly finished: number;
    readonly medianSeconds: number | null;
    /** Upper bounds in seconds (null = longer than the last bound) with their counts. */
    readonly histogram: readonly { readonly le: number | null; readonly count: number }[];
  };
  readonly coverage: CoverageSnapshot | null;
  readonly storage: { readonly retentionDays: number; readonly groupCap: number; readonly bytesLastDay: number; readonly fieldsLastDay: number };
}

export type InsightsRefusal = 'range_invalid' | 'range_too_long' | 'range_expired';

export interface InsightsQuery {
  /** First and last UTC day (epoch ms of any moment in it). */
  readonly from: number;
  readonly to: number;
}

const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Sum the fields of one group (`group:value`) over all days, most first (ties by name), top `n`. */
function ranked(days: readonly Readonly<Record<string, number>>[], group: string, n = 10): Ranked[] {
  const sums = new Map<string, number>();
  const p = `${group}:`;
  for (const d of days) for (const [k, v] of Object.entries(d)) if (k.startsWith(p)) sums.set(k.slice(p.length), (sums.get(k.slice(p.length)) ?? 0) + v);
  return [...sums]
    .map(([key, count]) => ({ key, count }))
    .filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
    .slice(0, n);
}

/**
 * The admin insights for a range of UTC days (issue 14): read from the time-bucketed counters only (no log is read),
 * at most 400 days back and 400 days long.
 */
export class GetInsights {
  constructor(private readonly deps: { readonly store: InsightsStore; readonly clock: Clock }) {}

  async execute(q: InsightsQuery): Promise<Result<InsightsReport, InsightsRefusal>> {
    if (!Number.isFinite(q.from) || !Number.isFinite(q.to) || q.from > q.to) return fail('range_invalid');
    const fromDay = Math.floor(q.from / DAY_MS);
    const toDay = Math.floor(q.to / DAY_MS);
    const today = Math.floor(this.deps.clock.now() / DAY_MS);
    if (toDay - fromDay + 1 > INSIGHTS_RETENTION_DAYS) return fail('range_too_long');
    if (toDay < today - INSIGHTS_RETENTION_DAYS) return fail('range_expired');
    const { store } = this.deps;
    // Seven days before the range too, for the R30 baseline.
    const all = await store.days(fromDay - 7, toDay);
    const before = all.slice(0, 7);
    const days = all.slice(7);
    const series = (f: (d: Readonly<Record<string, number>>) => number): number[] => days.map(f);
    const get = (d: Readonly<Record<string, number>>, k: string): number => d[k] ?? 0;
    const sum = (f: string): number => days.reduce((a, d) => a + get(d, f), 0);
    const phone = (d: Readonly<Record<string, number>>): number => get(d, 'sends:sms') + get(d, 'sends:voice');
    const phoneBaseline = days.map((_, i) => {
      const window = [...before, ...days].slice(i, i + 7);
      return Math.round((window.reduce((a, d) => a + phone(d), 0) / 7) * 100) / 100;
    });

    const funnel = (goal: 'reset' | 'unlock'): FunnelView => ({
      started: sum(`${goal}.started`),
      verified: sum(`${goal}.verified`),
      done: sum(`${goal}.done`),
      refused: sum(`${goal}.refused`),
      failed: sum(`${goal}.failed`),
      topReasons: ranked(days, `funnel.${goal}`, 5),
    });

    const histogram = DURATION_BOUNDS_SECONDS.map((b, i) => ({ le: Number.isFinite(b) ? b : null, count: sum(`reset.duration:${i}`) }));
    const usage = await store.usage(toDay);

    return ok({
      from: isoDay(fromDay),
      to: isoDay(toDay),
      days: days.map((_, i) => isoDay(fromDay + i)),
      daily: {
        resets: series((d) => get(d, 'reset.done')),
        unlocks: series((d) => get(d, 'unlock.done')),
        registrations: series((d) => get(d, 'registrations')),
        blocks: series((d) => get(d, 'blocks')),
        throttles: series((d) => get(d, 'throttles')),
        sms: series((d) => get(d, 'sends:sms')),
        voice: series((d) => get(d, 'sends:voice')),
        email: series((d) => get(d, 'sends:email')),
        phoneBaseline,
      },
      totals: {
        resets: sum('reset.done'),
        unlocks: sum('unlock.done'),
        registrations: sum('registrations'),
        blocks: sum('blocks'),
        throttles: sum('throttles'),
        gateRefusals: sum('gate:R1') + sum('gate:R2'),
        talkRequests: sum('talk.requests'),
      },
      funnel: { reset: funnel('reset'), unlock: funnel('unlock') },
      registrations: {
        byKind: ranked(days, 'registrations.kind'),
        changed: ranked(days, 'methods.change', 100).reduce((a, r) => a + r.count, 0),
        removed: ranked(days, 'methods.remove', 100).reduce((a, r) => a + r.count, 0),
        refused: ranked(days, 'registrations.refused', 5),
      },
      sends: {
        byChannel: { sms: sum('sends:sms'), voice: sum('sends:voice'), email: sum('sends:email') },
        byCountry: ranked(days, 'sends.country'),
        byPrefix: ranked(days, 'sends.prefix'),
        refused: ranked(days, 'sends.refused', 5),
        peakHour: await this.peakHour(fromDay, toDay),
        alerts: sum('telephony.alerts'),
      },
      throttles: { byKind: ranked(days, 'throttles.by') },
      gate: ranked(days, 'gate'),
      handoffs: {
        created: sum('handoffs'),
        byPurpose: ranked(days, 'handoffs.purpose'),
        outcomes: ranked(days, 'handoffs.status'),
        refused: ranked(days, 'handoffs.refused', 5),
      },
      timeToReset: { finished: histogram.reduce((a, h) => a + h.count, 0), medianSeconds: histogramMedian(histogram.map((h) => h.count)), histogram },
      coverage: await store.coverage(),
      storage: { retentionDays: INSIGHTS_RETENTION_DAYS, groupCap: INSIGHTS_GROUP_CAP, bytesLastDay: usage.bytes, fieldsLastDay: usage.fields },
    });
  }

  /** The hour of the range with the highest SMS + voice count relative to the average of the 168 hours before it. */
  private async peakHour(fromDay: number, toDay: number): Promise<InsightsReport['sends']['peakHour']> {
    const first = fromDay * 24;
    const last = toDay * 24 + 23;
    const rows = await this.deps.store.hours(first - 168, last, ['sends:sms', 'sends:voice']);
    const counts = rows.map((r) => (r[0] ?? 0) + (r[1] ?? 0));
    let best: { at: string; count: number; baselinePerHour: number; ratio: number } | null = null;
    let window = counts.slice(0, 168).reduce((a, b) => a + b, 0);
    for (let i = 168; i < counts.length; i++) {
      const count = counts[i] ?? 0;
      const baseline = Math.max(1, window / 168);
      const ratio = Math.round((count / baseline) * 100) / 100;
      if (count > 0 && (!best || ratio > best.ratio)) best = { at: new Date((first + i - 168) * HOUR_MS).toISOString(), count, baselinePerHour: Math.round(baseline * 100) / 100, ratio };
      window += count - (counts[i - 168] ?? 0);
    }
    return best;
  }
}
