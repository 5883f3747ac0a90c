import {
  ConversationState,
  MemoryStorage,
  TestAdapter,
  type Storage,
  type StoreItem,
} from 'botbuilder';
import { DialogSet, DialogTurnStatus, TextPrompt, WaterfallDialog } from 'botbuilder-dialogs';
import type { Redis } from 'ioredis';
import { RedisStorage } from '../../bot/redisStorage';
import { BoundedMemoryStorage } from '../../bot/state/boundedMemoryStorage';
import { startRedis, type RedisServer } from '../support/redisServer';
import { waitReady } from './helpers';

let server: RedisServer;
let redis: Redis;
let run = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  await waitReady(redis);
});

afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});

interface Subject {
  name: string;
  redis: boolean;
  make: () => Storage;
}

async function readWhen(storage: Storage, key: string, ready: (v: StoreItem | undefined) => boolean): Promise<StoreItem | undefined> {
  for (let i = 0; i < 100; i++) {
    const v = (await storage.read([key]))[key];
    if (ready(v)) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  return (await storage.read([key]))[key];
}

const PREFIX = (): string => `t${++run}:`;

const subjects: Subject[] = [
  { name: 'MemoryStorage', redis: false, make: () => new MemoryStorage() },
  { name: 'BoundedMemoryStorage', redis: false, make: () => new BoundedMemoryStorage({ maxItems: 1000, ttlSeconds: 600 }) },
  { name: 'RedisStorage', redis: true, make: () => new RedisStorage(redis, { prefix: PREFIX(), ttlSeconds: 600 }) },
];

describe.each(subjects)('Storage contract: $name', (subject) => {
  let storage: Storage;
  beforeEach(() => {
    storage = subject.make();
  });

  test('R25: unknown keys are absent from the read result', async () => {
    await storage.write({ known: { n: 1 } });
    const items = await storage.read(['unknown', 'known']);
    expect(Object.keys(items)).toEqual(['known']);
  });

  test('R25: create returns the item with a non-empty string eTag', async () => {
    await storage.write({ a: { n: 1, nested: { s: 'x' } } });
    const { a } = await storage.read(['a']);
    expect(a).toMatchObject({ n: 1, nested: { s: 'x' } });
    expect(typeof a.eTag).toBe('string');
    expect(a.eTag.length).toBeGreaterThan(0);
  });

  test('R25: an update with the current eTag succeeds and changes the eTag', async () => {
    await storage.write({ a: { n: 1 } });
    const first = (await storage.read(['a'])).a as StoreItem;
    await storage.write({ a: { ...first, n: 2 } });
    const second = (await storage.read(['a'])).a as StoreItem;
    expect(second.n).toBe(2);
    expect(second.eTag).not.toBe(first.eTag);
  });

  test('R25: a stale eTag is rejected with "eTag conflict" and writes nothing', async () => {
    await storage.write({ a: { n: 1 } });
    const stale = (await storage.read(['a'])).a as StoreItem;
    await storage.write({ a: { ...stale, n: 2 } });
    await expect(storage.write({ a: { ...stale, n: 3 } })).rejects.toThrow(/eTag conflict/);
    expect((await storage.read(['a'])).a.n).toBe(2);
  });

  test("R25: eTag '*' and a missing eTag overwrite unconditionally", async () => {
    await storage.write({ a: { n: 1 } });
    await storage.write({ a: { n: 2, eTag: '*' } });
    expect((await storage.read(['a'])).a.n).toBe(2);
    await storage.write({ a: { n: 3 } });
    expect((await storage.read(['a'])).a.n).toBe(3);
  });

  test('R25: delete removes an item; deleting an unknown key is fine', async () => {
    await storage.write({ a: { n: 1 }, b: { n: 2 } });
    await storage.delete(['a', 'never-written']);
    const items = await storage.read(['a', 'b']);
    expect(Object.keys(items)).toEqual(['b']);
  });

  test('R25: a batch of 3 is written and read back together', async () => {
    await storage.write({ x: { v: 'x' }, y: { v: 'y' }, z: { v: 'z' } });
    const items = await storage.read(['x', 'y', 'z']);
    expect(Object.keys(items).sort()).toEqual(['x', 'y', 'z']);
    expect(items.y.v).toBe('y');
    expect(new Set([items.x.eTag, items.y.eTag, items.z.eTag]).size).toBe(3);
  });

  test('F20: keys with spaces, unicode, colons, braces and newlines are kept apart', async () => {
    const keys = ['a b', 'ünïcødé/日本', 'x:y:z', '{c:tag}}{', 'line\nbreak', 'msteams/conversations/a:1{x}'];
    const changes: Record<string, StoreItem> = {};
    keys.forEach((k, i) => (changes[k] = { i }));
    await storage.write(changes);
    const items = await storage.read(keys);
    keys.forEach((k, i) => expect(items[k]?.i).toBe(i));
  });

  test('R25: 50 concurrent writers holding the same eTag → exactly one succeeds', async () => {
    await storage.write({ hot: { n: 0 } });
    const base = (await storage.read(['hot'])).hot as StoreItem;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => storage.write({ hot: { ...base, n: i + 1 } })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toMatch(/eTag conflict/);
    expect((await storage.read(['hot'])).hot.n).toBeGreaterThan(0);
  });

  test('R25: a waterfall with a TextPrompt runs through ConversationState on it', async () => {
    const conversationState = new ConversationState(storage);
    const dialogs = new DialogSet(conversationState.createProperty('dialogState'));
    dialogs.add(new TextPrompt('namePrompt'));
    dialogs.add(
      new WaterfallDialog('main', [
        async (step) => step.prompt('namePrompt', 'What is your name?'),
        async (step) => {
          await step.context.sendActivity(`Hello ${String(step.result)}`);
          return step.endDialog();
        },
      ]),
    );
    let stateKey = '';
    const adapter = new TestAdapter(async (context) => {
      stateKey = `${context.activity.channelId}/conversations/${context.activity.conversation.id}/`;
      const dc = await dialogs.createContext(context);
      const result = await dc.continueDialog();
      if (result.status === DialogTurnStatus.empty) await dc.beginDialog('main');
      await conversationState.saveChanges(context);
    });
    await adapter.send('hi').assertReply('What is your name?').startTest();
    // The open prompt lives in the storage, not in memory of the ConversationState.
    // TestFlow resolves on the reply; the turn saves its state right after, so wait for the save to land.
    const mid = await readWhen(storage, stateKey, (v) => v?.dialogState?.dialogStack?.length === 2);
    expect(mid?.dialogState?.dialogStack?.map((d: { id: string }) => d.id)).toEqual(['main', 'namePrompt']);
    await adapter.send('Ada').assertReply('Hello Ada').startTest();
    const end = await readWhen(storage, stateKey, (v) => v?.dialogState?.dialogStack?.length === 0);
    expect(end?.dialogState?.dialogStack).toEqual([]);
  });
});

describe('RedisStorage specifics', () => {
  test('state TTL (architecture rule 3): every item gets the TTL, refreshed on every write', async () => {
    const prefix = PREFIX();
    const storage = new RedisStorage(redis, { prefix, ttlSeconds: 300 });
    await storage.write({ k: { n: 1 } });
    const ttl1 = await redis.ttl(`${prefix}k`);
    expect(ttl1).toBeGreaterThan(290);
    expect(ttl1).toBeLessThanOrEqual(300);
    await redis.expire(`${prefix}k`, 5);
    await storage.write({ k: { n: 2, eTag: '*' } });
    expect(await redis.ttl(`${prefix}k`)).toBeGreaterThan(290);
  });

  test('F19: SCRIPT FLUSH between writes → single and batched writes still work', async () => {
    const storage = new RedisStorage(redis, { prefix: PREFIX() });
    await storage.write({ a: { n: 1 } });
    await redis.script('FLUSH');
    await storage.write({ a: { n: 2 } });
    await redis.script('FLUSH');
    await storage.write({ a: { n: 3 }, b: { n: 1 }, c: { n: 1 } });
    const items = await storage.read(['a', 'b', 'c']);
    expect([items.a.n, items.b.n, items.c.n]).toEqual([3, 1, 1]);
    const stale = items.a as StoreItem;
    await storage.write({ a: { ...stale, n: 4 } });
    await redis.script('FLUSH');
    await expect(storage.write({ a: { ...stale, n: 5 } })).rejects.toThrow(/eTag conflict/);
  });

  test('stored format: the value holds only the JSON of the item (no eTag inside the JSON), under prefix + key', async () => {
    const prefix = PREFIX();
    const storage = new RedisStorage(redis, { prefix });
    await storage.write({ 'odd key': { flowId: 'f1' } });
    const raw = await redis.get(`${prefix}odd key`);
    expect(raw).not.toBeNull();
    const [etag, fence, json] = raw!.split('\n');
    expect(etag!.length).toBeGreaterThan(0);
    expect(fence).toBe('0');
    expect(JSON.parse(json!)).toEqual({ flowId: 'f1' });
  });
});
