import type { Redis } from 'ioredis';
import {
  DAY_MS,
  HOUR_MS,
  INSIGHTS_GROUP_CAP,
  INSIGHTS_RETENTION_DAYS,
  type CounterIncrement,
  type CoverageSnapshot,
  type FlowGoal,
  type InsightsStore,
} from '../../domain/ports/insightsStore';
import { LuaScript } from './luaScript';
import { slotPipeline } from './slotPipeline';
import type { WriteRider } from './writeRider';

// Adds to the day and the hour hash in one atomic step. A field `group:value` not yet in a hash takes one of the
// group's `cap` places (kept in the hash as `#group`); past the cap it counts as `group:other`.
const ADD = new LuaScript(`
local ttl = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
for k = 1, #KEYS do
  local key = KEYS[k]
  for i = 3, #ARGV, 2 do
    local field = ARGV[i]
    local sep = string.find(field, ':', 1, true)
    if sep and redis.call('HEXISTS', key, field) == 0 then
      local group = string.sub(field, 1, sep - 1)
      if redis.call('HINCRBY', key, '#' .. group, 1) > cap then
        redis.call('HINCRBY', key, '#' .. group, -1)
        field = group .. ':other'
      end
    end
    redis.call('HINCRBY', key, field, tonumber(ARGV[i + 1]))
  end
  redis.call('EXPIRE', key, ttl)
end
return 1
`);

const FLOW_TTL_SECONDS = 3600;

/**
 * InsightsStore on Redis: one hash per UTC day and one per UTC hour, both tagged `{d<day>}` (one Cluster slot per
 * day, so one script updates both), expiring after 400 days; flow marks per pseudonymous user expire after an hour.
 */
export class RedisInsightsStore implements InsightsStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly options: { readonly groupCap?: number; readonly retentionDays?: number; readonly rider?: WriteRider } = {},
  ) {}

  /**
   * Issue 15: the counters are written in the background (InsightsAuditLog), so each command waits for the turn's
   * own last write and leaves in the same socket write (no round trip of its own after most turns).
   */
  private ride(): Promise<void> | undefined {
    return this.options.rider?.next();
  }

  private dayKey(day: number): string {
    return `${this.prefix}ins:{d${day}}:day`;
  }
  private hourKey(hour: number): string {
    const day = Math.floor((hour * HOUR_MS) / DAY_MS);
    return `${this.prefix}ins:{d${day}}:h${hour - day * 24}`;
  }
  private flowKey(user: string): string {
    return `${this.prefix}ins:flow:{p:${user}}`;
  }

  async add(at: number, increments: readonly CounterIncrement[]): Promise<void> {
    if (increments.length === 0) return;
    const args: (string | number)[] = [(this.options.retentionDays ?? INSIGHTS_RETENTION_DAYS) * 86_400, this.options.groupCap ?? INSIGHTS_GROUP_CAP];
    for (const inc of increments) args.push(inc.field, inc.by ?? 1);
    await this.ride();
    await ADD.run(this.redis, [this.dayKey(Math.floor(at / DAY_MS)), this.hourKey(Math.floor(at / HOUR_MS))], args);
  }

  async startFlow(user: string, goal: FlowGoal, at: number): Promise<void> {
    await this.ride();
    await this.redis.set(this.flowKey(user), `${goal}:${at}`, 'EX', FLOW_TTL_SECONDS);
  }

  // Expiry is Redis's own (an hour after the start); `now` is for stores without a TTL.
  async currentFlow(user: string, _now?: number): Promise<{ goal: FlowGoal; at: number } | null> {
    await this.ride();
    return parseFlow(await this.redis.get(this.flowKey(user)));
  }

  // Not riding: the counters of a flow's end wait for this answer (the duration bucket), and they ride instead. The
  // end's event comes with the turn's domain write (the reset's settle), so the read goes in that socket write and the
  // counters in the state write's (issue 15: reset: password submit 5 → 4 round trips).
  async takeFlow(user: string, _now?: number): Promise<{ goal: FlowGoal; at: number } | null> {
    return parseFlow(await this.redis.getdel(this.flowKey(user)));
  }

  async days(fromDay: number, toDay: number): Promise<readonly Readonly<Record<string, number>>[]> {
    const p = slotPipeline(this.redis);
    for (let d = fromDay; d <= toDay; d++) p.hgetall(this.dayKey(d));
    const replies = (await p.exec()) ?? [];
    return replies.map(([err, v]) => {
      if (err) throw err;
      return counters(v as Record<string, string>);
    });
  }

  async hours(fromHour: number, toHour: number, fields: readonly string[]): Promise<readonly (readonly number[])[]> {
    if (fields.length === 0 || toHour < fromHour) return [];
    const p = slotPipeline(this.redis);
    for (let h = fromHour; h <= toHour; h++) p.hmget(this.hourKey(h), ...fields);
    const replies = (await p.exec()) ?? [];
    return replies.map(([err, v]) => {
      if (err) throw err;
      return (v as (string | null)[]).map((x) => Number(x ?? 0));
    });
  }

  async usage(day: number): Promise<{ bytes: number; fields: number }> {
    const keys = [this.dayKey(day), ...Array.from({ length: 24 }, (_, h) => this.hourKey(day * 24 + h))];
    const p = this.redis.pipeline();
    for (const k of keys) {
      p.call('MEMORY', 'USAGE', k);
      p.hlen(k);
    }
    const replies = (await p.exec()) ?? [];
    let bytes = 0;
    let fields = 0;
    replies.forEach(([err, v], i) => {
      if (err) throw err;
      if (i % 2 === 0) bytes += Number(v ?? 0);
      else fields += Number(v ?? 0);
    });
    return { bytes, fields };
  }

  async saveCoverage(snapshot: CoverageSnapshot): Promise<void> {
    await this.redis.set(`${this.prefix}ins:coverage`, JSON.stringify(snapshot));
  }

  async coverage(): Promise<CoverageSnapshot | null> {
    const raw = await this.redis.get(`${this.prefix}ins:coverage`);
    return raw ? (JSON.parse(raw) as CoverageSnapshot) : null;
  }
}

function parseFlow(v: string | null): { goal: FlowGoal; at: number } | null {
  const m = v ? /^(reset|unlock):(\d+)$/.exec(v) : null;
  return m ? { goal: m[1] as FlowGoal, at: Number(m[2]) } : null;
}

/** A hash's counters without the `#group` bookkeeping fields. */
function counters(h: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(h)) if (!k.startsWith('#')) out[k] = Number(v);
  return out;
}
