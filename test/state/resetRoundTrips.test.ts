import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startApp, type RunningApp } from '../support/appHarness';
import { startRedis, type RedisServer } from '../support/redisServer';
import { ConnectorStub } from '../support/connectorStub';
import { BENCH_TENANT, BotClient } from '../../scripts/bench/loadGenerator';
import { makeJourneyUsers, runJourney, writeJourneyDirectory, type JourneyDeps, type JourneyUser } from '../../scripts/bench/journey';

/**
 * Issue 15 item 2: the reset turn kinds of the journey bench, counted exactly as the bench's calibration counts them —
 * the bench's own journey (scripts/bench/journey.ts) against the app in-process, socket writes of the app's Redis
 * client during a turn and the background work it leaves (R18 notice, the chat's outcome message, insights), one
 * user at a time, after warm-up users have loaded every script (F19).
 */
let server: RedisServer;
let running: RunningApp;
let stub: ConnectorStub;
let probe: Redis;
let dir: string;
const users = makeJourneyUsers(4, 'r');

beforeAll(async () => {
  server = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'rt-reset-'));
  const file = writeJourneyDirectory(dir, users);
  const roster = new Map((JSON.parse(readFileSync(file, 'utf8')) as { users: { objectId: string; displayName: string; userPrincipalName: string }[] }).users.map((u) => [u.objectId, u]));
  stub = new ConnectorStub();
  await stub.start();
  running = await startApp(
    { REDIS_URL: server.url, DEMO_DIRECTORY_FILE: file },
    {
      memberLookup: async (context) => {
        const u = roster.get(context.activity.from?.aadObjectId ?? '');
        return { name: u?.displayName ?? 'Bench User', upn: u?.userPrincipalName ?? 'bench.user@contoso.example', role: 'user' };
      },
    },
  );
  probe = new Redis(server.port, '127.0.0.1');
  const redis = running.app.redis!;
  if (redis.status !== 'ready') await new Promise<void>((r) => redis.once('ready', () => r()));
  countWrites(redis);
});
afterAll(async () => {
  probe.disconnect();
  await running.close();
  await stub.stop();
  await server.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** The app client's socket writes (one per request or pipeline), counted once for the whole file. */
const written: string[] = [];
function countWrites(redis: Redis): void {
  const stream = (redis as unknown as { stream: NodeJS.WritableStream }).stream;
  const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = (...a: unknown[]) => {
    written.push(String(a[0]).replace(/\r\n\$\d+\r\n/g, ' ').replace(/\r\n/g, ' ').slice(0, 160));
    return original(...a);
  };
}

/** One whole bench journey; with `counts`, the round trips of every turn kind. */
async function journey(u: JourneyUser, counts?: Record<string, number>, listings?: Record<string, string[]>): Promise<void> {
  const deps: JourneyDeps = {
    client: new BotClient(running.baseUrl, 2),
    outboxCode: async (to) => running.app.services.security.outbox!.lastCode(to) ?? null,
    serviceUrl: stub.url,
    comeBackLater: async (v) => {
      await probe.del(`sspr:rl:send-gap:{u:${BENCH_TENANT}:${v.objectId}}:email`);
    },
    record: (kind, _ms, ok) => {
      if (!ok) throw new Error(`${kind} failed`);
    },
    ...(counts
      ? {
          around: async <T,>(kind: string, turn: () => Promise<T>): Promise<T> => {
            const commands: string[] = [];
            const monitor = await new Redis(server.port, '127.0.0.1', { lazyConnect: true }).monitor();
            monitor.on('monitor', (_t: string, args: string[]) => commands.push(args.slice(0, 3).join(' ')));
            await new Promise((r) => setTimeout(r, 50));
            const before = written.length;
            const out = await turn();
            // The bench waits 60 ms after each answer (the turn's background work counts); a little more here.
            await new Promise((r) => setTimeout(r, 150));
            counts[kind] = written.length - before;
            monitor.disconnect();
            if (listings) listings[kind] = commands;
            return out;
          },
        }
      : {}),
  };
  await runJourney(u, deps);
}

test('issue 15 R2 R33 C6 R16 R18: the reset turn kinds of the journey bench, exact round trips each', async () => {
  // Warm-up: a chat-card and a dialog-page journey load every script (F19) and the lazy password dictionaries.
  await journey(users[0]!);
  await journey(users[1]!);
  const counts: Record<string, number> = {};
  const listings: Record<string, string[]> = {};
  await journey(users[2]!, counts, listings); // chat card
  await journey(users[3]!, counts, listings); // dialog page (pages API)
  const reset = Object.fromEntries(Object.entries(counts).filter(([k]) => k.startsWith('reset:')));
  // On a mismatch the commands of each turn are in the message.
  const shown = Object.fromEntries(Object.entries(reset).map(([k, v]) => [k, `${v}: ${(listings[k] ?? []).join(' | ')}`]));
  expect({ reset, shown }).toMatchObject({
    reset: {
      'reset: start': 4,
      'reset: choose e-mail (code sent)': 4,
      'reset: code check': 3,
      'reset: choose authenticator': 3,
      'reset: TOTP check': 3,
      'reset: password submit (chat card)': 4,
      'reset: password submit (pages API)': 4,
    },
  });
}, 180_000);
