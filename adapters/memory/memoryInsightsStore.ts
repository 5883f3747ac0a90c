import {
  DAY_MS,
  HOUR_MS,
  INSIGHTS_GROUP_CAP,
  type CounterIncrement,
  type CoverageSnapshot,
  type FlowGoal,
  type InsightsStore,
} from '../../domain/ports/insightsStore';
import type { Clock } from '../../domain/ports/clock';
import { BoundedMap, DEFAULT_MEMORY_CAP } from './boundedMap';

/** In-memory InsightsStore (development without Redis, tests): the same buckets and group caps as Redis. */
export class MemoryInsightsStore implements InsightsStore {
  private readonly buckets = new Map<string, Map<string, number>>();
  private readonly flows = new BoundedMap<string, { goal: FlowGoal; at: number; until: number }>(DEFAULT_MEMORY_CAP, (f) => f.until <= this.clock.now());
  private snapshot: CoverageSnapshot | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly groupCap = INSIGHTS_GROUP_CAP,
  ) {}

  async add(at: number, increments: readonly CounterIncrement[]): Promise<void> {
    for (const key of [`d${Math.floor(at / DAY_MS)}`, `h${Math.floor(at / HOUR_MS)}`]) {
      let b = this.buckets.get(key);
      if (!b) this.buckets.set(key, (b = new Map<string, number>()));
      for (const inc of increments) {
        let field = inc.field;
        const sep = field.indexOf(':');
        if (sep > 0 && !b.has(field)) {
          const group = `#${field.slice(0, sep)}`;
          const n = (b.get(group) ?? 0) + 1;
          if (n > this.groupCap) field = `${field.slice(0, sep)}:other`;
          else b.set(group, n);
        }
        b.set(field, (b.get(field) ?? 0) + (inc.by ?? 1));
      }
    }
  }

  async startFlow(user: string, goal: FlowGoal, at: number): Promise<void> {
    this.flows.set(user, { goal, at, until: at + HOUR_MS });
  }

  async currentFlow(user: string, now: number = this.clock.now()): Promise<{ goal: FlowGoal; at: number } | null> {
    const f = this.flows.get(user);
    if (!f || f.until <= now) return null;
    return { goal: f.goal, at: f.at };
  }

  async takeFlow(user: string, now: number = this.clock.now()): Promise<{ goal: FlowGoal; at: number } | null> {
    const f = await this.currentFlow(user, now);
    this.flows.delete(user);
    return f;
  }

  async days(fromDay: number, toDay: number): Promise<readonly Readonly<Record<string, number>>[]> {
    const out: Record<string, number>[] = [];
    for (let d = fromDay; d <= toDay; d++) out.push(this.read(`d${d}`));
    return out;
  }

  async hours(fromHour: number, toHour: number, fields: readonly string[]): Promise<readonly (readonly number[])[]> {
    const out: number[][] = [];
    for (let h = fromHour; h <= toHour; h++) {
      const b = this.buckets.get(`h${h}`);
      out.push(fields.map((f) => b?.get(f) ?? 0));
    }
    return out;
  }

  async usage(day: number): Promise<{ bytes: number; fields: number }> {
    let fields = 0;
    let bytes = 0;
    for (const key of [`d${day}`, ...Array.from({ length: 24 }, (_, h) => `h${day * 24 + h}`)]) {
      for (const [k] of this.buckets.get(key) ?? []) {
        fields++;
        bytes += k.length + 16;
      }
    }
    return { bytes, fields };
  }

  async saveCoverage(snapshot: CoverageSnapshot): Promise<void> {
    this.snapshot = snapshot;
  }

  async coverage(): Promise<CoverageSnapshot | null> {
    return this.snapshot;
  }

  private read(key: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.buckets.get(key) ?? []) if (!k.startsWith('#')) out[k] = v;
    return out;
  }
}
