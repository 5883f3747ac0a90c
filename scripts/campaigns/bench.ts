/**
 * `npm run bench:campaigns`: N recipients spread round-robin over T tenants, through W campaign worker processes
 * (the real engine: BullMQ, Redis ledger + pacer, TeamsSender) against a local connector that answers 429 +
 * Retry-After: 1 to a share of sends; one worker SIGKILLed mid-run. Then the engine ceiling: one worker, limiter
 * set high, no 429s. Prints a Markdown table (docs/benchmark.md, "Campaign delivery").
 *
 * The workers read in-doubt messages (POST in flight at the kill) back over Graph's protocol from a local Graph
 * stand-in (test/support/graphStub.ts) that serves what the connector accepted; `--no-read-back` runs without it
 * (each kind's fallback: these are expiry reminders, so at most once — lost instead of duplicated).
 *
 * Flags: --recipients N (100000) --tenants T (100) --rate R per tenant (30) --workers W (2) --share429 S (0.3)
 * --no-kill --no-read-back --read-back-after-ms M (2000) --ceiling-recipients N (20000) --no-ceiling
 */
import { PrivateRedis } from '../bench/privateRedis';
import { FlakyConnector, percentile, tenantRates } from './flakyConnector';
import { WorkerProcess, enqueueMessages, recipients, seedReferences } from './harness';
import { RedisDeadLetters } from '../../adapters/redis/redisCampaignStores';
import type { WorkerChildSettings } from './workerChild';
import { GraphStub } from '../../test/support/graphStub';
import { loadavg } from 'node:os';
import Redis from 'ioredis';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function commands(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Redis server CPU seconds (user + sys). */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
}

async function run(o: { recipients: number; tenants: number; rate: number; workers: number; share429: number; kill: boolean; postsInFlight: number; readBack: boolean; readBackAfterMs: number }): Promise<Record<string, string | number>> {
  const load0 = loadavg()[0]!;
  const server = await PrivateRedis.start();
  const redis = new Redis(server.url);
  const connector = new FlakyConnector({ share429: o.share429, retryAfterSeconds: 1 });
  await connector.start();
  const graph = new GraphStub([]);
  graph.teams = connector;
  await graph.start();
  const users = recipients(o.recipients, o.tenants);
  await seedReferences(redis, 'sspr:', connector.url, users, connector);
  const settings: WorkerChildSettings = {
    redisUrl: server.url, queuePrefix: '{sspr-jobs}', keyPrefix: 'sspr:', tenantPerSecond: o.rate, concurrency: 400,
    globalPerSecond: 0, lockDurationMs: 15_000, stalledIntervalMs: 5000, postsInFlight: o.postsInFlight,
    ...(o.readBack
      ? { readBack: { baseUrl: graph.baseUrl, authorityHost: graph.authorityHost, tenantId: graph.tenantId, clientId: graph.clientId, clientSecret: graph.clientSecret, catalogAppId: graph.catalogAppId, afterMs: o.readBackAfterMs } }
      : {}),
  };
  await enqueueMessages(server.url, '{sspr-jobs}', users, () => Date.now());
  const workers = await Promise.all(Array.from({ length: o.workers }, () => WorkerProcess.start(settings)));
  // CPU from here on: start-up (tsx compiling the worker) is not the engine's per-message cost.
  const cpu0 = await Promise.all(workers.map((w) => w.report().then((r) => r.cpuMicros)));
  const c0 = await commands(redis);
  const r0 = await redisCpu(redis);
  const t0 = Date.now();
  let killed = false;
  let killedGrants: Record<string, number[]> = {};
  const dead = new RedisDeadLetters(redis, 'sspr:');
  let last = { n: -1, at: Date.now() };
  for (;;) {
    const n = connector.deliveries().size;
    if (o.kill && !killed && n >= o.recipients * 0.4) {
      // Its pacer slots up to the kill (a report is a few ms old: slots granted in between are not counted).
      killedGrants = (await workers[0]!.report()).grants;
      workers[0]!.kill9();
      killed = true;
    }
    const letters = (await dead.list(100_000)).length;
    if (n + letters >= o.recipients) break;
    // Nothing new for 2 minutes after the kill: what is missing is lost (counted below), not late.
    if (n !== last.n) last = { n, at: Date.now() };
    else if (killed && Date.now() - last.at > 120_000) break;
    if (Date.now() - t0 > 3 * 3600_000) break;
    await sleep(500);
  }
  const seconds = (Date.now() - t0) / 1000;
  await sleep(2000);
  const c1 = await commands(redis);
  const r1 = await redisCpu(redis);
  const alive = workers.slice(killed ? 1 : 0);
  const ends = await Promise.all(alive.map((w) => w.report()));
  const survivorCpu = ends.reduce((n, r, i) => n + (r.cpuMicros - cpu0[i + (killed ? 1 : 0)]!), 0) / 1e6;
  const survivorSent = ends.reduce((n, r) => n + (r.outcomes.sent ?? 0), 0);
  const deliveries = connector.deliveries();
  const delays = connector.arrivals.filter((a) => a.status === 200).map((a) => a.delayMs).sort((a, b) => a - b);
  const rates = [...tenantRates(connector.arrivals).values()].map((r) => r.perSecond);
  const letters = await dead.list(100_000);
  for (const w of alive) await w.terminate();
  await connector.stop();
  await graph.stop();
  redis.disconnect();
  await server.stop();
  const meanRate = rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length);
  // The pacer's own slots (Redis time), per tenant, over the middle 60 %: the rate it granted, load-independent.
  const slots = new Map<string, number[]>();
  for (const g of [killedGrants, ...ends.map((e) => e.grants)]) for (const [t, at] of Object.entries(g)) slots.set(t, [...(slots.get(t) ?? []), ...at]);
  const slotRates = [...slots.values()].map((v) => {
    v.sort((a, b) => a - b);
    const mid = v.slice(Math.floor(v.length * 0.2), Math.floor(v.length * 0.8));
    return mid.length > 1 ? ((mid.length - 1) / (mid[mid.length - 1]! - mid[0]!)) * 1000 : 0;
  });
  return {
    recipients: o.recipients,
    tenants: o.tenants,
    workers: o.workers,
    'POSTs in flight / worker': o.postsInFlight,
    killed: killed ? 'yes' : 'no',
    '429 share': `${Math.round((connector.arrivals.filter((a) => a.status === 429).length / connector.arrivals.length) * 100)} %`,
    seconds: seconds.toFixed(1),
    'delivered msg/s': (deliveries.size / seconds).toFixed(0),
    'requests/s per tenant at the connector (mean, min–max)': `${meanRate.toFixed(1)} (${Math.min(...rates).toFixed(1)}–${Math.max(...rates).toFixed(1)}) vs ${o.rate}`,
    'pacer slots/s per tenant (min–max)': `${Math.min(...slotRates).toFixed(1)}–${Math.max(...slotRates).toFixed(1)}`,
    'delay p50 / p99 s': `${(percentile(delays, 50) / 1000).toFixed(1)} / ${(percentile(delays, 99) / 1000).toFixed(1)}`,
    'Redis commands / message': ((c1 - c0) / o.recipients).toFixed(1),
    // Load-independent: the worker's own CPU per message delivered (user + sys), and what one core would push.
    'worker CPU ms / message': ((survivorCpu * 1000) / Math.max(1, survivorSent)).toFixed(3),
    'msg/s per worker on one core (1 / CPU)': (survivorSent / Math.max(1e-9, survivorCpu)).toFixed(0),
    'Redis CPU ms / message': (((r1 - r0) * 1000) / o.recipients).toFixed(3),
    delivered: deliveries.size,
    lost: o.recipients - deliveries.size,
    'in doubt after the kill: found by read-back / re-sent / given up': `${sum(ends, 'sent:found')} / ${sum(ends, 'sent:resent') + sum(ends, 'sent:fallback')} / ${letters.filter((d) => d.reason === 'uncertain_after_crash').length}`,
    'POSTs cut off by the kill': connector.arrivals.filter((a) => a.status === 0).length,
    duplicated: [...deliveries.values()].filter((n) => n > 1).length,
    'load average (start → end)': `${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
  };
}

const sum = (reports: readonly { outcomes: Record<string, number> }[], k: string): number => reports.reduce((n, r) => n + (r.outcomes[k] ?? 0), 0);

async function main(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  if (!flag('only-ceiling'))
    rows.push(
    await run({
      recipients: arg('recipients', 100_000),
      tenants: arg('tenants', 100),
      rate: arg('rate', 30),
      workers: arg('workers', 2),
      share429: arg('share429', 0.3),
      kill: !flag('no-kill'),
      postsInFlight: arg('posts-in-flight', 32),
      readBack: !flag('no-read-back'),
      readBackAfterMs: arg('read-back-after-ms', 2000),
    }),
  );
  if (!flag('no-ceiling')) rows.push(await run({ recipients: arg('ceiling-recipients', 20_000), tenants: 20, rate: 50_000, workers: 1, share429: 0, kill: false, postsInFlight: arg('ceiling-posts-in-flight', 128), readBack: false, readBackAfterMs: 0 }));
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]!);
  process.stdout.write(`| ${keys.join(' | ')} |\n|${keys.map(() => '---').join('|')}|\n`);
  for (const r of rows) process.stdout.write(`| ${keys.map((k) => String(r[k])).join(' | ')} |\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
