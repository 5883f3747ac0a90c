/**
 * Per-turn cost of the cheap turns, for comparing code versions or Node flags in ONE run (issue 15, item 3):
 * `npx tsx scripts/bench/turnCost.ts --variant "before|/tmp/tree-before" --variant "after|." [--baseline]`.
 *
 * Each variant is a server process (the bench's own benchServer.ts of that tree, so an older checkout measures its
 * own code) on one private Redis. Rounds alternate the variants; each round runs a closed loop of `--turns` cheap
 * turns over `--concurrency` fresh conversations and reads the server's counters around it: CPU µs per turn,
 * JavaScript heap bytes allocated per turn (not sensitive to the machine's load) and GC pauses. With `--open-rate`
 * each round adds one open-loop slice per variant (latency from the scheduled send time, as in the bench), merged.
 *
 * Flags: --variant "label|tree[|node flags[|baseline]]" (repeatable; default "this tree|."; a fourth field `baseline`
 * runs that tree's bare botbuilder baseline instead of the app) --baseline (this tree's baseline as a further variant) --turns N (2000) --concurrency N (8) --rounds N (3) --warmup N (3 turns
 * per conversation) --open-rate N (0 = no open loop) --open-seconds N per slice (4).
 */
import { resolve } from 'node:path';
import { PrivateRedis } from './privateRedis';
import { BotClient, closedLoop, makeConversations, openLoop, warmUp } from './loadGenerator';
import type { ServerProcess as ServerProcessType } from './serverProcess';
import { summarize } from './stats';

interface Variant {
  label: string;
  tree: string;
  flags: string[];
  target: 'app' | 'baseline';
}

function parse(argv: readonly string[]): { variants: Variant[]; turns: number; concurrency: number; rounds: number; warmup: number; openRate: number; openSeconds: number } {
  const variants: Variant[] = [];
  let baseline = false;
  const o = { turns: 2000, concurrency: 8, rounds: 3, warmup: 3, openRate: 0, openSeconds: 4 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1] ?? '';
    const n = (): number => {
      i++;
      const x = Number(v);
      if (!Number.isFinite(x) || x < 0) throw new Error(`${a} needs a number`);
      return x;
    };
    if (a === '--variant') {
      const [label, tree, flags, target] = v.split('|');
      variants.push({ label: label ?? v, tree: resolve(tree || '.'), flags: (flags ?? '').split(/\s+/).filter(Boolean), target: target === 'baseline' ? 'baseline' : 'app' });
      i++;
    } else if (a === '--baseline') baseline = true;
    else if (a === '--turns') o.turns = n();
    else if (a === '--concurrency') o.concurrency = Math.max(1, n());
    else if (a === '--rounds') o.rounds = Math.max(1, n());
    else if (a === '--warmup') o.warmup = n();
    else if (a === '--open-rate') o.openRate = n();
    else if (a === '--open-seconds') o.openSeconds = n();
    else throw new Error(`unknown flag ${a ?? ''}`);
  }
  if (variants.length === 0) variants.push({ label: 'this tree', tree: resolve('.'), flags: [], target: 'app' });
  if (baseline) variants.push({ label: 'baseline', tree: resolve('.'), flags: [], target: 'baseline' });
  return { variants, ...o };
}

interface Tally {
  turns: number;
  errors: number;
  cpuMicros: number;
  allocatedBytes: number;
  gcCount: number;
  gcMs: number;
  gcMaxMs: number;
  perRound: { cpuUsPerTurn: number; allocKbPerTurn: number }[];
  open: number[];
  openGcCount: number;
  openGcMs: number;
  openGcMaxMs: number;
  openLoopP99: number[];
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const redis = await PrivateRedis.start();
  const servers: ServerProcessType[] = [];
  try {
    for (const v of o.variants) {
      const mod = (await import(resolve(v.tree, 'scripts/bench/serverProcess.ts'))) as typeof import('./serverProcess');
      servers.push(await mod.ServerProcess.start({ target: v.target, redisUrl: redis.url, nodeFlags: v.flags }));
      process.stderr.write(`started ${v.label} (${v.target}, ${v.tree}${v.flags.length ? `, ${v.flags.join(' ')}` : ''})\n`);
    }
    const tallies: Tally[] = o.variants.map(() => ({ turns: 0, errors: 0, cpuMicros: 0, allocatedBytes: 0, gcCount: 0, gcMs: 0, gcMaxMs: 0, perRound: [], open: [], openGcCount: 0, openGcMs: 0, openGcMaxMs: 0, openLoopP99: [] }));
    const clients = servers.map((s) => new BotClient(s.baseUrl, Math.max(o.concurrency, 64)));
    const perConversation = Math.max(1, Math.ceil(o.turns / o.concurrency));
    for (let round = 0; round < o.rounds; round++) {
      // Rotate who goes first, so a burst of other load does not always hit the same variant.
      const order = o.variants.map((_, i) => (i + round) % o.variants.length);
      for (const i of order) {
        const convs = makeConversations(o.concurrency, String.fromCharCode(65 + round * 8 + i));
        await warmUp(clients[i]!, convs, o.warmup);
        const s0 = await servers[i]!.stats(true);
        const r = await closedLoop(clients[i]!, convs, perConversation, 600_000);
        const s1 = await servers[i]!.stats(true);
        const t = tallies[i]!;
        t.turns += r.turns;
        t.errors += r.errors;
        t.cpuMicros += s1.cpuMicros - s0.cpuMicros;
        t.allocatedBytes += s1.allocatedBytes - s0.allocatedBytes;
        t.gcCount += s1.gc.count - s0.gc.count;
        t.gcMs += s1.gc.totalMs - s0.gc.totalMs;
        t.gcMaxMs = Math.max(t.gcMaxMs, s1.gc.maxMs);
        t.perRound.push({ cpuUsPerTurn: (s1.cpuMicros - s0.cpuMicros) / r.turns, allocKbPerTurn: (s1.allocatedBytes - s0.allocatedBytes) / r.turns / 1024 });
        process.stderr.write(`round ${round + 1} ${o.variants[i]!.label}: ${r.turns} turns, ${Math.round((s1.cpuMicros - s0.cpuMicros) / r.turns)} µs CPU/turn, ${((s1.allocatedBytes - s0.allocatedBytes) / r.turns / 1024).toFixed(1)} KB/turn, errors ${r.errors}\n`);
      }
      if (o.openRate > 0) {
        for (const i of order) {
          const convs = makeConversations(Math.max(o.concurrency, 50), String.fromCharCode(97 + round * 8 + i));
          await warmUp(clients[i]!, convs, 0);
          const s0 = await servers[i]!.stats(true);
          const r = await openLoop(clients[i]!, convs, o.openRate, o.openSeconds * 1000, undefined, tallies[i]!.open);
          const s1 = await servers[i]!.stats(true);
          const t = tallies[i]!;
          t.errors += r.errors;
          t.openGcCount += s1.gc.count - s0.gc.count;
          t.openGcMs += s1.gc.totalMs - s0.gc.totalMs;
          t.openGcMaxMs = Math.max(t.openGcMaxMs, s1.gc.maxMs);
          t.openLoopP99.push(s1.eventLoop.p99Ms);
          process.stderr.write(`round ${round + 1} open ${o.variants[i]!.label}: p99 ${r.latencyMs.p99} ms, loop p99 ${s1.eventLoop.p99Ms} ms\n`);
        }
      }
    }
    for (const c of clients) c.close();
    const rows = o.variants.map((v, i) => {
      const t = tallies[i]!;
      const open = t.open.length ? summarize(t.open) : undefined;
      return {
        variant: v.label,
        turns: t.turns,
        errors: t.errors,
        cpuUsPerTurn: Math.round(t.cpuMicros / t.turns),
        cpuUsPerTurnRounds: t.perRound.map((r) => Math.round(r.cpuUsPerTurn)),
        allocKbPerTurn: Math.round((t.allocatedBytes / t.turns / 1024) * 10) / 10,
        allocKbPerTurnRounds: t.perRound.map((r) => Math.round(r.allocKbPerTurn * 10) / 10),
        gcPer1000Turns: Math.round((t.gcCount / t.turns) * 1000 * 10) / 10,
        gcMsPerTurn: Math.round((t.gcMs / t.turns) * 1000) / 1000,
        gcMaxMs: Math.round(t.gcMaxMs * 10) / 10,
        ...(open ? { open: { ...open, gcCount: t.openGcCount, gcMs: Math.round(t.openGcMs), gcMaxMs: Math.round(t.openGcMaxMs * 10) / 10, loopP99Ms: t.openLoopP99 } } : {}),
      };
    });
    process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), options: { ...o, variants: o.variants }, rows }, null, 2)}\n`);
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    await redis.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`turnCost failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
