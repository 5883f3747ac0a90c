import { ConversationState, TestAdapter, type Activity, type TurnContext } from 'botbuilder';
import type { Redis } from 'ioredis';
import { SsprError } from '../../domain/errors';
import { RedisStorage } from '../../bot/redisStorage';
import { DEDUPE_TTL_SECONDS, TURN_LEASE_KEY, TurnGuard, TurnScope, type TurnLease } from '../../bot/turnGuard';
import { CLUSTER_MODE, startRedis, sleep, type RedisServer } from '../support/redisServer';
import { waitReady } from './helpers';

let server: RedisServer;
let clients: Redis[] = [];

/** One simulated bot instance: its own Redis client, scope, storage, guard and adapter. */
interface Instance {
  redis: Redis;
  storage: RedisStorage;
  guard: TurnGuard;
  adapter: TestAdapter;
  conversationState: ConversationState;
}

async function instance(guardOptions: { lockTtlMs?: number; maxWaitMs?: number } = {}): Promise<Instance> {
  const redis = server.failFastClient();
  clients.push(redis);
  await waitReady(redis);
  const scope = new TurnScope();
  const storage = new RedisStorage(redis, { prefix: 'sspr:state:', ttlSeconds: 600, scope });
  const guard = new TurnGuard(redis, { keyPrefix: 'sspr:', scope, prefetch: { storage }, ...guardOptions });
  const adapter = new TestAdapter();
  adapter.use(guard);
  return { redis, storage, guard, adapter, conversationState: new ConversationState(storage) };
}

function activity(conversationId: string, id: string, type = 'message'): Partial<Activity> {
  return {
    type,
    id,
    channelId: 'msteams',
    text: 'hi',
    from: { id: 'user-1', name: 'User' },
    recipient: { id: 'bot', name: 'Bot' },
    conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
    ...(type === 'invoke' ? { name: 'adaptiveCard/action', value: {} } : {}),
  };
}

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  clients = [];
  await server.destroy();
});

describe('TurnGuard', () => {
  test('R24/F8: the same activity id delivered 3× sequentially runs the handler once', async () => {
    const a = await instance();
    let runs = 0;
    for (let i = 0; i < 3; i++) {
      await a.adapter.processActivity(activity('conv-seq', 'act-1'), async () => {
        runs++;
      });
    }
    expect(runs).toBe(1);
  });

  test('R24/F8: the same activity id delivered 3× in parallel to two instances runs the handler once', async () => {
    const a = await instance();
    const b = await instance();
    let runs = 0;
    const handler = async (): Promise<void> => {
      runs++;
      await sleep(20);
    };
    await Promise.all([
      a.adapter.processActivity(activity('conv-par', 'act-1'), handler),
      b.adapter.processActivity(activity('conv-par', 'act-1'), handler),
      a.adapter.processActivity(activity('conv-par', 'act-1'), handler),
    ]);
    expect(runs).toBe(1);
    // A different id in the same conversation is a new turn.
    await a.adapter.processActivity(activity('conv-par', 'act-2'), handler);
    expect(runs).toBe(2);
  });

  test('R24: the dedupe mark lives for the channel retry window (10 min), not a day — bounded memory (issue 15)', async () => {
    const a = await instance();
    await a.adapter.processActivity(activity('conv-ttl', 'act-ttl'), async () => undefined);
    const ttl = await a.redis.ttl(a.guard.keysFor('conv-ttl', 'act-ttl').dedupe);
    expect(ttl).toBeGreaterThan(DEDUPE_TTL_SECONDS - 5);
    expect(ttl).toBeLessThanOrEqual(DEDUPE_TTL_SECONDS);
    expect(DEDUPE_TTL_SECONDS).toBeLessThanOrEqual(15 * 60);
    // Still a duplicate within the window.
    let runs = 0;
    await a.adapter.processActivity(activity('conv-ttl', 'act-ttl'), async () => {
      runs++;
    });
    expect(runs).toBe(0);
  });

  test('R24/F9: a duplicate invoke is answered 200 with no body and does not run the handler', async () => {
    const a = await instance();
    let runs = 0;
    await a.adapter.processActivity(activity('conv-inv', 'inv-1', 'invoke'), async () => {
      runs++;
    });
    expect(a.adapter.activeQueue).toHaveLength(0);
    await a.adapter.processActivity(activity('conv-inv', 'inv-1', 'invoke'), async () => {
      runs++;
    });
    expect(runs).toBe(1);
    expect(a.adapter.activeQueue).toHaveLength(1);
    expect(a.adapter.activeQueue[0]).toMatchObject({ type: 'invokeResponse', value: { status: 200 } });
    expect(a.adapter.activeQueue[0]!.value.body).toBeUndefined();
  });

  test('R25/F10: two turns of one conversation within 10 ms from two instances, 200×: serialised, in lock order, counter exact', async () => {
    const a = await instance();
    const b = await instance();
    const counter = (i: Instance) => i.conversationState.createProperty<number>('counter');
    const counters = new Map([
      [a, counter(a)],
      [b, counter(b)],
    ]);
    const seen: { token: number; value: number }[] = [];
    let active = 0;
    let maxActive = 0;
    const logic = (inst: Instance) => async (context: TurnContext) => {
      active++;
      maxActive = Math.max(maxActive, active);
      const prop = counters.get(inst)!;
      const value = (await prop.get(context, 0)) + 1;
      await prop.set(context, value);
      if (Math.random() < 0.3) await sleep(1);
      await inst.conversationState.saveChanges(context);
      seen.push({ token: context.turnState.get(TURN_LEASE_KEY).token, value });
      active--;
    };
    for (let i = 0; i < 200; i++) {
      await Promise.all([
        a.adapter.processActivity(activity('conv-race', `a-${i}`), logic(a)),
        sleep(Math.floor(Math.random() * 10)).then(() => b.adapter.processActivity(activity('conv-race', `b-${i}`), logic(b))),
      ]);
    }
    expect(maxActive).toBe(1);
    expect(seen).toHaveLength(400);
    seen.forEach((s, i) => {
      expect(s.value).toBe(i + 1);
      if (i > 0) expect(s.token).toBeGreaterThan(seen[i - 1]!.token);
    });
    const stored = await a.storage.read(['msteams/conversations/conv-race/']);
    expect(stored['msteams/conversations/conv-race/']?.counter).toBe(400);
  });

  test('R25: the lease with its fencing token is on turnState and the lock is gone after the turn', async () => {
    const a = await instance();
    let lease: TurnLease | undefined;
    await a.adapter.processActivity(activity('conv-lease', 'x-1'), async (context) => {
      lease = context.turnState.get(TURN_LEASE_KEY);
      expect(await a.redis.exists(lease!.lockKey)).toBe(1);
    });
    expect(lease?.conversationId).toBe('conv-lease');
    expect(lease?.token).toBeGreaterThan(0);
    expect(lease?.lockKey).toBe('sspr:lock:{c:conv-lease}');
    expect(await a.redis.exists(lease!.lockKey)).toBe(0);
  });

  test('F20: all keys of a conversation share the hash tag {c:<id>}, braces in the id are escaped', () => {
    const idle = server.failFastClient({ lazyConnect: true });
    clients.push(idle);
    const guard = new TurnGuard(idle, { keyPrefix: 'p:' });
    const k = guard.keysFor('19:a{b}c@thread', 'act');
    const tag = (key: string) => key.slice(key.indexOf('{') + 1, key.indexOf('}'));
    expect(tag(k.lock)).toBe('c:19:a%7Bb%7Dc@thread');
    expect(tag(k.fence)).toBe(tag(k.lock));
    expect(tag(k.dedupe)).toBe(tag(k.lock));
    expect(k.dedupe).toBe('p:dedupe:{c:19:a%7Bb%7Dc@thread}:act');
  });

  test('R25: a proactive continuation started inside a turn of the same conversation does not wait for its lock', async () => {
    const a = await instance({ maxWaitMs: 5000 });
    let sent = false;
    await a.adapter.processActivity(activity('conv-proactive', 'p-1'), async (ctx) => {
      // What adapter.continueConversationAsync runs through the middleware: an event named ContinueConversation for the
      // same conversation, awaited inside the turn. Without the bypass it would block until lock_timeout.
      await a.adapter.processActivity({ ...activity(ctx.activity.conversation.id, ''), type: 'event', name: 'ContinueConversation' }, async () => {
        sent = true;
      });
    });
    expect(sent).toBe(true);
  });

  test('R25: different conversations do not block each other', async () => {
    const a = await instance();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = a.adapter.processActivity(activity('conv-slow', 's-1'), async () => gate);
    let otherDone = false;
    await a.adapter.processActivity(activity('conv-other', 'o-1'), async () => {
      otherDone = true;
    });
    expect(otherDone).toBe(true);
    release();
    await slow;
  });

  test('R25: the wait for a busy lock is bounded (lock_timeout) and the handler does not run', async () => {
    const a = await instance({ maxWaitMs: 300 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const holder = a.adapter.processActivity(activity('conv-busy', 'h-1'), async () => {
      entered();
      await gate;
    });
    await inside;
    let ran = false;
    const started = Date.now();
    const err = await a.adapter
      .processActivity(activity('conv-busy', 'w-1'), async () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsprError);
    expect((err as SsprError).code).toBe('lock_timeout');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(ran).toBe(false);
    release();
    await holder;
  });

  test('R25: a holder whose lock was lost cannot overwrite state written by the next holder (fencing)', async () => {
    const a = await instance({ lockTtlMs: 3000 });
    const b = await instance();
    const propA = a.conversationState.createProperty<string>('owner');
    const propB = b.conversationState.createProperty<string>('owner');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    let lockKey = '';
    const stale = a.adapter.processActivity(activity('conv-fence', 'f-1'), async (context) => {
      lockKey = context.turnState.get<TurnLease>(TURN_LEASE_KEY).lockKey;
      await propA.set(context, 'A');
      entered();
      await gate;
      await a.conversationState.saveChanges(context);
    });
    await inside;
    // Simulate A's lock expiring while A is paused (GC pause, partition).
    await a.redis.del(lockKey);
    await b.adapter.processActivity(activity('conv-fence', 'f-2'), async (context) => {
      await propB.set(context, 'B');
      await b.conversationState.saveChanges(context);
    });
    release();
    const err = await stale.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsprError);
    expect((err as SsprError).code).toBe('state_conflict');
    const stored = await b.storage.read(['msteams/conversations/conv-fence/']);
    expect(stored['msteams/conversations/conv-fence/']?.owner).toBe('B');
  });

  test('R25: an uncontended turn reads state in the lock round trip: 5 commands (acquire+2 GET pipelined, write, release)', async () => {
    const a = await instance();
    const prop = a.conversationState.createProperty<number>('n');
    const run = async (id: string): Promise<void> =>
      a.adapter.processActivity(activity('conv-rt', id), async (context) => {
        await prop.set(context, (await prop.get(context, 0)) + 1);
        await a.conversationState.saveChanges(context);
      });
    await run('warm-up');
    const observer = server.client();
    clients.push(observer);
    await waitReady(observer);
    const seen: string[] = [];
    // Under npm run test:cluster every primary is watched (the keys of a turn live on up to three of them).
    const watched = CLUSTER_MODE ? (observer as unknown as { nodes(r: 'master'): Redis[] }).nodes('master') : [observer];
    const monitors = await Promise.all(watched.map((n) => n.monitor()));
    for (const monitor of monitors)
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        const name = args[0]?.toLowerCase();
        // Commands issued inside a script are reported with source "lua"; they are no round trips.
        if (name && name !== 'monitor' && source !== 'lua') seen.push(name);
      });
    await sleep(20);
    await run('counted');
    await sleep(50);
    for (const monitor of monitors) monitor.disconnect();
    // evalsha(acquire) + get(conversation) + get(user) in one pipeline; evalsha(write); evalsha(release). On a Cluster
    // the same commands, the pipeline's reads sent at once to their slots' nodes (order across nodes not defined).
    if (CLUSTER_MODE) expect([...seen].sort()).toEqual(['evalsha', 'evalsha', 'evalsha', 'get', 'get']);
    else expect(seen).toEqual(['evalsha', 'get', 'get', 'evalsha', 'evalsha']);
  });

  test('F19: SCRIPT FLUSH between turns → turns still work (EVALSHA falls back to EVAL)', async () => {
    const a = await instance();
    const prop = a.conversationState.createProperty<number>('n');
    for (let i = 0; i < 3; i++) {
      await a.redis.script('FLUSH');
      await a.adapter.processActivity(activity('conv-flush', `fl-${i}`), async (context) => {
        await prop.set(context, (await prop.get(context, 0)) + 1);
        await a.conversationState.saveChanges(context);
      });
    }
    const stored = await a.storage.read(['msteams/conversations/conv-flush/']);
    expect(stored['msteams/conversations/conv-flush/']?.n).toBe(3);
  });
});
