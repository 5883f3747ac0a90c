/**
 * `npm run bench:campaigns`: N recipients spread round-robin over T tenants, through W campaign worker processes
 * (the real engine: BullMQ, Redis ledger + pacer, TeamsSender) against a local connector that answers 429 +
 * Retry-After: 1 to a share of sends; one worker SIGKILLed mid-run. Then the engine ceiling: one worker, limiter
 * set high, no 429s. Prints a Markdown table (docs/benchmark.md, "Campaign delivery").
 *
 * Flags: --recipients N (100000) --tenants T (100) --rate R per tenant (30) --workers W (2) --share429 S (0.3)
 * --no-kill --ceiling-recipients N (20000) --no-ceiling
 */
import { PrivateRedis } from '../bench/privateRedis';
import { FlakyConnector, percentile, tenantRates } from './flakyConnector';
import { WorkerProcess, enqueueMessages, recipients, seedReferences } from './harness';
import { RedisDeadLetters } from '../../adapters/redis/redisCampaignStores';
import type { WorkerChildSettings } from './workerChild';
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

async function run(o: { recipients: number; tenants: number; rate: number; workers: number; share429: number; kill: boolean }): Promise<Record<string, string | number>> {
  const server = await PrivateRedis.start();
  const redis = new Redis(server.url);
  const connector = new FlakyConnector({ share429: o.share429, retryAfterSeconds: 1 });
  await connector.start();
  const users = recipients(o.recipients, o.tenants);
  await seedReferences(redis, 'sspr:', connector.url, users);
  const settings: WorkerChildSettings = {
    redisUrl: server.url, queuePrefix: '{sspr-jobs}', keyPrefix: 'sspr:', tenantPerSecond: o.rate, concurrency: 400,
    globalPerSecond: 0, lockDurationMs: 15_000, stalledIntervalMs: 5000, postsInFlight: 32,
  };
  await enqueueMessages(server.url, '{sspr-jobs}', users, () => Date.now());
  const c0 = await commands(redis);
  const workers = await Promise.all(Array.from({ length: o.workers }, () => WorkerProcess.start(settings)));
  const t0 = Date.now();
  let killed = false;
  const dead = new RedisDeadLetters(redis, 'sspr:');
  for (;;) {
    const n = connector.deliveries().size;
    if (o.kill && !killed && n >= o.recipients * 0.4) {
      workers[0]!.kill9();
      killed = true;
    }
    const uncertain = (await dead.list(100_000)).filter((d) => d.reason === 'uncertain_after_crash').length;
    if (n + uncertain >= o.recipients && n >= o.recipients - uncertain) break;
    if (Date.now() - t0 > 3 * 3600_000) break;
    await sleep(500);
  }
  const seconds = (Date.now() - t0) / 1000;
  await sleep(2000);
  const c1 = await commands(redis);
  const deliveries = connector.deliveries();
  const delays = connector.arrivals.filter((a) => a.status === 200).map((a) => a.delayMs).sort((a, b) => a - b);
  const rates = [...tenantRates(connector.arrivals).values()].map((r) => r.perSecond);
  const letters = await dead.list(100_000);
  for (const w of workers.slice(killed ? 1 : 0)) await w.terminate();
  await connector.stop();
  redis.disconnect();
  await server.stop();
  const meanRate = rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length);
  return {
    recipients: o.recipients,
    tenants: o.tenants,
    workers: o.workers,
    killed: killed ? 'yes' : 'no',
    '429 share': `${Math.round((connector.arrivals.filter((a) => a.status === 429).length / connector.arrivals.length) * 100)} %`,
    seconds: seconds.toFixed(1),
    'delivered msg/s': (deliveries.size / seconds).toFixed(0),
    'requests/s per tenant (mean, min–max)': `${meanRate.toFixed(1)} (${Math.min(...rates).toFixed(1)}–${Math.max(...rates).toFixed(1)}) vs ${o.rate}`,
    'delay p50 / p99 s': `${(percentile(delays, 50) / 1000).toFixed(1)} / ${(percentile(delays, 99) / 1000).toFixed(1)}`,
    'Redis commands / message': ((c1 - c0) / o.recipients).toFixed(1),
    delivered: deliveries.size,
    lost: o.recipients - deliveries.size,
    'uncertain (POST in flight at the kill)': letters.filter((d) => d.reason === 'uncertain_after_crash').length,
    duplicated: [...deliveries.values()].filter((n) => n > 1).length,
  };
}

async function main(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  rows.push(
    await run({
      recipients: arg('recipients', 100_000),
      tenants: arg('tenants', 100),
      rate: arg('rate', 30),
      workers: arg('workers', 2),
      share429: arg('share429', 0.3),
      kill: !flag('no-kill'),
    }),
  );
  if (!flag('no-ceiling')) rows.push(await run({ recipients: arg('ceiling-recipients', 20_000), tenants: 20, rate: 50_000, workers: 1, share429: 0, kill: false }));
  const keys = Object.keys(rows[0]!);
  process.stdout.write(`| ${keys.join(' | ')} |\n|${keys.map(() => '---').join('|')}|\n`);
  for (const r of rows) process.stdout.write(`| ${keys.map((k) => String(r[k])).join(' | ')} |\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
