import type { Redis } from 'ioredis';

/** Counters read from one `INFO stats commandstats memory` call. */
export interface RedisSnapshot {
  /** calls per command (lower-case), as reported by INFO commandstats. */
  commandCalls: Record<string, number>;
  totalCommandsProcessed: number;
  /** Read events the server handled (one per batch of bytes read from a client socket). */
  readsProcessed: number;
  /** Write events (replies flushed to a client socket). */
  writesProcessed: number;
  usedMemory: number;
}

export interface RedisDelta {
  /** Calls per command between two snapshots, without the probe's own INFO. */
  commandCalls: Record<string, number>;
  commands: number;
  totalCommandsProcessed: number;
  readsProcessed: number;
  writesProcessed: number;
  usedMemory: number;
}

function parseInfo(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** One INFO call (it counts itself: the delta below removes it). */
export async function snapshot(redis: Redis): Promise<RedisSnapshot> {
  const info = parseInfo(await redis.info('stats', 'commandstats', 'memory'));
  const commandCalls: Record<string, number> = {};
  for (const [k, v] of info) {
    if (!k.startsWith('cmdstat_')) continue;
    const calls = /(?:^|,)calls=(\d+)/.exec(v);
    if (calls) commandCalls[k.slice('cmdstat_'.length).toLowerCase()] = Number(calls[1]);
  }
  const num = (k: string): number => Number(info.get(k) ?? 'NaN');
  return {
    commandCalls,
    totalCommandsProcessed: num('total_commands_processed'),
    readsProcessed: num('total_reads_processed'),
    writesProcessed: num('total_writes_processed'),
    usedMemory: num('used_memory'),
  };
}

/**
 * b − a. The second snapshot's INFO is counted in b (one command, one read) and the first one's reply is written
 * after a was taken (one write): both are subtracted so the delta is the traffic of the system under test.
 */
export function delta(a: RedisSnapshot, b: RedisSnapshot): RedisDelta {
  const commandCalls: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.commandCalls)) {
    const d = v - (a.commandCalls[k] ?? 0) - (k === 'info' ? 1 : 0);
    if (d > 0) commandCalls[k] = d;
  }
  return {
    commandCalls,
    commands: Object.values(commandCalls).reduce((x, y) => x + y, 0),
    totalCommandsProcessed: b.totalCommandsProcessed - a.totalCommandsProcessed - 1,
    readsProcessed: b.readsProcessed - a.readsProcessed - 1,
    writesProcessed: b.writesProcessed - a.writesProcessed - 1,
    usedMemory: b.usedMemory - a.usedMemory,
  };
}

/** One command as MONITOR saw it: `lua` = issued inside a script (no round trip of its own). */
export interface MonitoredCommand {
  name: string;
  fromScript: boolean;
  /** The first key, ids replaced by <id> (key names carry no secrets: ids only). */
  key?: string;
}

/** A key with user, conversation and activity ids replaced by <id>. */
export function keyShape(key: string): string {
  return key
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/bench-[a-z]+-/g, 'bench-');
}

/** Records every command other clients send while `work` runs (MONITOR on a dedicated connection). */
export async function monitorDuring(redis: Redis, work: (mark: () => MonitoredCommand[]) => Promise<void>): Promise<void> {
  const monitor = await redis.monitor();
  let seen: MonitoredCommand[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const name = args[0]?.toLowerCase();
    if (!name || name === 'monitor' || name === 'info') return;
    const key = name === 'evalsha' || name === 'eval' ? args[3] : args[1];
    seen.push({ name, fromScript: source === 'lua', ...(key === undefined ? {} : { key: keyShape(key) }) });
  });
  await new Promise((r) => setTimeout(r, 20));
  try {
    await work(() => {
      const out = seen;
      seen = [];
      return out;
    });
  } finally {
    monitor.disconnect();
  }
}

export interface KeyUsage {
  /** Bytes of all keys that belong to a benchmark user (state, user state, conversation reference, lock, fence). */
  conversationBytes: number;
  conversationKeys: number;
  /** Bytes of the duplicate-delivery marks (one per activity, kept for the dedupe window), which grow with turns. */
  dedupeBytes: number;
  dedupeKeys: number;
  /** Largest remaining TTL of a dedupe mark, seconds: the window the app keeps them for (rounded up to a minute). */
  dedupeWindowSeconds: number;
  /** Keys of the journey scenario's (registered) users: their methods, codes, throttles, state, reference. */
  journeyBytes: number;
  journeyKeys: number;
  otherBytes: number;
  otherKeys: number;
  /** Key shapes seen (ids replaced by <id>), with counts. */
  shapes: Record<string, number>;
}

const OBJECT_ID = /be4c0000-0000-4000-8000-[0-9a-f]{12}/;
const JOURNEY_ID = /be4c0000-0000-4000-a000-[0-9a-f]{12}/;

/** MEMORY USAGE of every key, grouped (SCAN + pipelined MEMORY USAGE, SAMPLES 0 = exact). */
export async function keyUsage(redis: Redis): Promise<KeyUsage> {
  const u: KeyUsage = {
    conversationBytes: 0,
    conversationKeys: 0,
    dedupeBytes: 0,
    dedupeKeys: 0,
    dedupeWindowSeconds: 0,
    journeyBytes: 0,
    journeyKeys: 0,
    otherBytes: 0,
    otherKeys: 0,
    shapes: {},
  };
  let maxTtl = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const p = redis.pipeline();
    for (const k of keys) {
      p.memory('USAGE', k, 'SAMPLES', 0);
      p.ttl(k);
    }
    const res = (await p.exec()) ?? [];
    keys.forEach((k, i) => {
      const bytes = Number(res[2 * i]?.[1] ?? 0);
      const ttl = Number(res[2 * i + 1]?.[1] ?? -1);
      const shape = keyShape(k);
      u.shapes[shape] = (u.shapes[shape] ?? 0) + 1;
      if (k.includes('dedupe:')) {
        u.dedupeBytes += bytes;
        u.dedupeKeys++;
        maxTtl = Math.max(maxTtl, ttl);
      } else if (JOURNEY_ID.test(k)) {
        u.journeyBytes += bytes;
        u.journeyKeys++;
      } else if (OBJECT_ID.test(k)) {
        u.conversationBytes += bytes;
        u.conversationKeys++;
      } else {
        u.otherBytes += bytes;
        u.otherKeys++;
      }
    });
  } while (cursor !== '0');
  u.dedupeWindowSeconds = maxTtl > 0 ? Math.ceil(maxTtl / 60) * 60 : 0;
  return u;
}
