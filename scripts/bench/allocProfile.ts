/**
 * Where the cheap turns' heap allocations come from (issue 15, item 3): runs the app in THIS process on a private
 * Redis, warms up, then drives `--turns` closed-loop cheap turns over HTTP with V8's sampling heap profiler on
 * (objects collected by minor and major GC included, so it counts allocations, not what survives) and prints the
 * bytes per turn by allocating function (self) and by package / source directory. The load generator runs in the same
 * process: its frames (scripts/bench, Node's HTTP client) are listed apart.
 *
 * `--survivors`: only what a scavenge did NOT collect (objects collected by a minor GC left out, by a major GC kept): the
 * allocations that lived through at least one scavenge and were copied or promoted — what makes scavenges slow.
 *
 * `npx tsx scripts/bench/allocProfile.ts [--turns 2000] [--concurrency 8] [--interval 256] [--top 40] [--survivors] [--out file.heapprofile]`
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Writable } from 'node:stream';
import { createApp } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import { createRedis } from '../../bot/redisClient';
import { BotClient, closedLoop, makeConversations, warmUp } from './loadGenerator';
import { PrivateRedis } from './privateRedis';

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function where(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const m = /\/(bot|adapters|domain|dialogs|cards|scripts)\/(.*)$/.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  return url === '' ? '(native / V8)' : url;
}

async function main(): Promise<void> {
  const turns = arg('turns', 2000);
  const concurrency = arg('concurrency', 8);
  const interval = arg('interval', 256);
  const top = arg('top', 40);
  const outIdx = process.argv.indexOf('--out');
  const redisServer = await PrivateRedis.start();
  const config = loadConfig({ SSPR_MODE: 'development', REDIS_URL: redisServer.url, LOG_LEVEL: 'info' });
  const redis = createRedis(redisServer.url, { connectionName: 'sspr-alloc-profile' });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const app = await createApp(config, createLogger(config.logLevel, sink), {
    redis,
    memberLookup: async (context) => ({ name: context.activity.from?.name ?? 'Bench User', upn: 'bench.user@contoso.example', role: 'user' }),
  });
  const port = await app.listen(0, '127.0.0.1');
  const client = new BotClient(`http://127.0.0.1:${port}`, 64);
  const session = new Session();
  session.connect();
  try {
    const warm = makeConversations(concurrency, 'W');
    await warmUp(client, warm, 20);
    const convs = makeConversations(concurrency, 'M');
    await warmUp(client, convs, 3);
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !process.argv.includes('--survivors') } as never);
    const r = await closedLoop(client, convs, Math.ceil(turns / concurrency), 600_000);
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: Node } };
    if (outIdx >= 0) writeFileSync(process.argv[outIdx + 1]!, JSON.stringify(profile));
    const byFn = new Map<string, number>();
    const byWhere = new Map<string, number>();
    let total = 0;
    const walk = (n: Node): void => {
      if (n.selfSize > 0) {
        const w = where(n.callFrame.url);
        const fn = `${n.callFrame.functionName || '(anonymous)'} ${w}:${n.callFrame.lineNumber + 1}`;
        byFn.set(fn, (byFn.get(fn) ?? 0) + n.selfSize);
        byWhere.set(w, (byWhere.get(w) ?? 0) + n.selfSize);
        total += n.selfSize;
      }
      for (const c of n.children) walk(c);
    };
    walk(profile.head);
    const kb = (b: number): string => (b / r.turns / 1024).toFixed(2);
    process.stdout.write(`${r.turns} turns, errors ${r.errors}; sampled ${kb(total)} KB/turn (in-process: includes the load generator)\n\nby place (KB/turn):\n`);
    for (const [w, b] of [...byWhere].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${kb(b).padStart(8)}  ${w}\n`);
    process.stdout.write('\nby function, self (KB/turn):\n');
    for (const [f, b] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${kb(b).padStart(8)}  ${f}\n`);
  } finally {
    session.disconnect();
    client.close();
    await app.close(2000);
    await redis.quit().catch(() => redis.disconnect());
    await redisServer.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`allocProfile failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
