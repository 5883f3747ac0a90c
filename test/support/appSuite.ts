import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from './appHarness';
import { ConnectorStub } from './connectorStub';
import { startRedis, type RedisServer } from './redisServer';

/** Writes `policy` as a policy file (POLICY_FILE) in a fresh temporary folder; the file's path. */
export function writePolicy(policy: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sspr-policy-')), 'policy.json');
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

export interface AppSuiteOptions {
  /** Start a private Redis for the app's state (default); false: the app keeps its state in memory. */
  readonly redis?: boolean;
  /** The policy file's content; absent: the default policy. */
  readonly policy?: unknown;
  /** More configuration, given the started Redis and connector stub. */
  readonly env?: (s: { readonly redis: RedisServer | undefined; readonly stub: ConnectorStub }) => NodeJS.ProcessEnv;
}

export interface AppSuite {
  /** The private Redis (throws when started with `redis: false`). */
  readonly redis: RedisServer;
  /** The Bot Connector stub the app's proactive messages go to. */
  readonly stub: ConnectorStub;
  readonly running: RunningApp;
}

/**
 * The set-up of the test files that run the app in-process with a connector stub, on a private Redis unless told not
 * to: started before the file's tests (REDIS_URL, POLICY_FILE when a policy is given, then `env`), stopped after them. Call it once at
 * the top of a file; what it returns is usable in tests and hooks declared after it.
 */
export function appSuite(o: AppSuiteOptions = {}): AppSuite {
  let redis: RedisServer | undefined;
  let stub: ConnectorStub | undefined;
  let running: RunningApp | undefined;
  let policyFile: string | undefined;
  beforeAll(async () => {
    redis = o.redis === false ? undefined : await startRedis();
    stub = new ConnectorStub();
    await stub.start();
    policyFile = o.policy === undefined ? undefined : writePolicy(o.policy);
    running = await startApp({ ...(redis ? { REDIS_URL: redis.url } : {}), ...(policyFile ? { POLICY_FILE: policyFile } : {}), ...o.env?.({ redis, stub }) });
  });
  afterAll(async () => {
    await running?.close();
    await stub?.stop();
    await redis?.destroy();
    if (policyFile) rmSync(join(policyFile, '..'), { recursive: true, force: true });
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('appSuite: the app starts in beforeAll');
    return v;
  };
  return {
    get redis() {
      return started(redis);
    },
    get stub() {
      return started(stub);
    },
    get running() {
      return started(running);
    },
  };
}
