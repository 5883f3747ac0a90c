import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { startApp, type RunningApp } from '../support/appHarness';
import { ConnectorStub } from '../support/connectorStub';
import { DEMO_TENANT, post, replyText, teamsActivity, type Reply } from '../support/activities';
import { FixedClock } from '../support/fixedClock';
import { submitData } from '../support/chatDriver';
import type { RedisServer } from '../support/redisServer';
import { MemoryDirectory, type MemoryDirectoryOptions } from '../../adapters/directory/memoryDirectory';
import type { UserRef } from '../../domain/model/user';

export const INITIAL_PASSWORD = 'Demo-Initial-Pass-2026';

/** A demo directory of `n` users (user 1 … n); users in `locked` are locked, those in `disabled` turned off. */
export function writeFixtures(required: 1 | 2, n = 30, locked: readonly number[] = [], disabled: readonly number[] = []): { policyFile: string; directoryFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sspr-reset-'));
  const policy = JSON.parse(readFileSync('config/policy.default.json', 'utf8')) as { methods: { requiredForReset: number } };
  policy.methods.requiredForReset = required;
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(policy));
  const users = Array.from({ length: n }, (_, i) => ({
    objectId: oid(i + 1),
    userPrincipalName: `tester${i + 1}@contoso.example`,
    displayName: `Tester Nummer${i + 1}`,
    givenName: 'Tester',
    surname: `Nummer${i + 1}`,
    initialPassword: INITIAL_PASSWORD,
    passwordChangedAt: '2026-01-01T00:00:00Z',
    locked: locked.includes(i + 1),
    enabled: !disabled.includes(i + 1),
    groups: ['0a7c1e52-3f4b-4d6a-9e8f-1b2c3d4e5f60'], // All Staff, by object id (R32)
  }));
  const directoryFile = join(dir, 'directory.json');
  writeFileSync(directoryFile, JSON.stringify({ tenantId: DEMO_TENANT, organisationName: 'Contoso', lockoutThreshold: 5, users }));
  return { policyFile, directoryFile };
}

export const oid = (n: number): string => `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`;
export const userRef = (n: number): UserRef => ({ tenantId: DEMO_TENANT, objectId: oid(n) });
export const mailOf = (n: number): string => `tester${n}@fabrikam.example`;
export const phoneOf = (n: number): string => `+316123456${String(n).padStart(2, '0')}`;

export interface Kit {
  run: RunningApp;
  stub: ConnectorStub;
  clock: FixedClock;
  directory: MemoryDirectory;
  close(): Promise<void>;
}

export async function startKit(
  redisServer: RedisServer,
  required: 1 | 2,
  locked: readonly number[] = [],
  /** What the demo directory can do (e.g. `canUnlock: false`, as Entra). */
  capabilities?: MemoryDirectoryOptions['capabilities'],
  /** Demo users (by number) whose account is disabled. */
  disabled: readonly number[] = [],
): Promise<Kit> {
  const stub = new ConnectorStub();
  await stub.start();
  const files = writeFixtures(required, 30, locked, disabled);
  const clock = new FixedClock(Date.now());
  const run = await startApp(
    { REDIS_URL: redisServer.url, POLICY_FILE: files.policyFile, DEMO_DIRECTORY_FILE: files.directoryFile, REDIS_KEY_PREFIX: `t${required}:` },
    { services: { clock, ...(capabilities ? { directory: await MemoryDirectory.load(files.directoryFile, { clock, capabilities }) } : {}) } },
  );
  const directory = run.app.services.directory;
  if (!(directory instanceof MemoryDirectory)) throw new Error('expected the demo directory');
  // The app's Redis client queues nothing while it connects: tests that write to the stores directly (register())
  // wait until it answers, or the first write fails on a loaded machine.
  for (let i = 0; ; i++) {
    try {
      await run.app.services.security.methods.list(userRef(1));
      break;
    } catch (e) {
      if (i >= 200) throw e;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return {
    run,
    stub,
    clock,
    directory,
    close: async () => {
      await run.close();
      await stub.stop();
    },
  };
}

/** Registers confirmed methods for user n: e-mail and/or mobile phone. */
export async function register(kit: Kit, n: number, kinds: readonly ('email' | 'mobilePhone')[]): Promise<void> {
  const now = kit.clock.now();
  for (const kind of kinds) {
    const email = kind === 'email';
    await kit.run.app.services.security.methods.save(userRef(n), {
      method: {
        id: email ? 'mail' : 'mobile',
        kind,
        maskedDestination: email ? 't•••@fabrikam.example' : '•••••••••' + phoneOf(n).slice(-2),
        confirmedAt: now,
        lastUsedAt: null,
        createdAt: now,
        source: 'user',
        channels: email ? ['email'] : ['sms', 'voice'],
      },
      secrets: { destination: email ? mailOf(n) : phoneOf(n) },
    });
  }
}

/** One user in one language talking to the running app through HTTP activities (expectReplies). */
export class Chat {
  last: Reply[] = [];
  constructor(
    private readonly kit: Kit,
    readonly n: number,
    readonly locale: string,
  ) {}

  /** Fields every activity of this chat carries besides the usual ones (localTimezone, entities …). */
  extra: Record<string, unknown> = {};

  async send(input: { text?: string; value?: unknown; replyToId?: string }): Promise<string> {
    const activity = teamsActivity({
      userObjectId: oid(this.n),
      conversationId: `a:${oid(this.n)}:${this.locale}`,
      serviceUrl: this.kit.stub.url,
      locale: this.locale,
      ...(input.text !== undefined ? { text: input.text } : {}),
      ...(input.value !== undefined ? { value: input.value } : {}),
    });
    Object.assign(activity, this.extra);
    if (input.replyToId) activity.replyToId = input.replyToId;
    const res = await post(this.kit.run.baseUrl, activity);
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    this.last = res.replies;
    return replyText(res.replies);
  }

  /** Data of the first card action with this verb (and methodId suffix, for method choices). */
  action(verb: string, methodSuffix?: string): Record<string, unknown> {
    const found = submitData(this.last, verb);
    const hit = found.find((d) => methodSuffix === undefined || String(d.methodId).endsWith(methodSuffix));
    if (!hit) throw new Error(`no ${verb} action in: ${replyText(this.last)}`);
    return hit;
  }

  /** Data of every card action of the newest card in the last replies (the buttons the user sees last). */
  lastCardActions(): Record<string, unknown>[] {
    const withCards = this.last.filter((r) => JSON.stringify(r).includes('AdaptiveCard'));
    const found: Record<string, unknown>[] = [];
    const walk = (x: unknown): void => {
      if (!x || typeof x !== 'object') return;
      if (Array.isArray(x)) return x.forEach(walk);
      const o = x as Record<string, unknown>;
      if (o.type === 'Action.Submit' && o.data && typeof o.data === 'object') found.push(o.data as Record<string, unknown>);
      Object.values(o).forEach(walk);
    };
    walk(withCards[withCards.length - 1]);
    return found;
  }

  hasPasswordCard(): boolean {
    return JSON.stringify(this.last).includes('"style":"password"');
  }

  /** Choose the method and enter the code that arrived (from the dev outbox). */
  async proveBy(kind: 'email' | 'sms'): Promise<string> {
    const choose = this.action('verify.choose', `~${kind}`);
    await this.send({ value: choose });
    const to = kind === 'email' ? mailOf(this.n) : phoneOf(this.n);
    const code = this.kit.run.app.services.security.outbox?.lastCode(to);
    if (!code) throw new Error('no code sent');
    codesSeen.add(code);
    // Teams puts the id of the card the submit came from in replyToId.
    return this.send({ value: { verb: 'verify.code', flowId: choose.flowId, code }, replyToId: `code-card-${this.n}` });
  }

  async submitPassword(password: string, confirm = password): Promise<string> {
    const data = this.action('reset.password');
    return this.send({ value: { ...data, newPassword: password, confirmPassword: confirm }, replyToId: `card-${this.n}` });
  }
}

/** Every code the tests entered (for the R15 scan). */
export const codesSeen = new Set<string>();

/** Every string value in a Redis database (strings, hashes, lists, sets, sorted sets, streams as JSON). */
export async function redisDump(redis: Redis): Promise<string> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', '500');
    cursor = next;
    for (const k of keys) {
      const type = await redis.type(k);
      out.push(k);
      if (type === 'string') out.push((await redis.get(k)) ?? '');
      else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(k)));
      else if (type === 'list') out.push(JSON.stringify(await redis.lrange(k, 0, -1)));
      else if (type === 'set') out.push(JSON.stringify(await redis.smembers(k)));
      else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(k, '0', '-1', 'WITHSCORES')));
      else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(k, '-', '+')));
    }
  } while (cursor !== '0');
  return out.join('\n');
}

export const waitFor = async (check: () => boolean, ms = 8000): Promise<void> => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
};
