import { startRedis, type RedisServer } from './redisServer';
import { startKit, type Kit } from '../dialogs/resetJourneyKit';

export interface JourneySuiteOptions {
  /** Methods a reset needs (the policy's requiredForReset; default 1). */
  readonly required?: 1 | 2;
  /** Demo users (by number) that start locked. */
  readonly locked?: readonly number[];
  /** What the demo directory can do (e.g. `canUnlock: false`, as Entra). */
  readonly capabilities?: Parameters<typeof startKit>[3];
  /** Demo users (by number) whose account is disabled. */
  readonly disabled?: readonly number[];
  /** The file's per-test time-out (default 60 s: a journey is many HTTP turns on a loaded machine). */
  readonly timeoutMs?: number;
}

/**
 * The set-up the chat-journey test files share: a private Redis and the running app with the demo directory
 * (test/dialogs/resetJourneyKit.ts), started before the file's tests and stopped after them. Call it once at the top
 * of a test file; the kit it returns is usable in tests and hooks (it throws when used before the start).
 */
export function journeySuite(o: JourneySuiteOptions = {}): Kit {
  jest.setTimeout(o.timeoutMs ?? 60_000);
  let redis: RedisServer | undefined;
  let started: Kit | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    started = await startKit(redis, o.required ?? 1, o.locked ?? [], o.capabilities, o.disabled ?? []);
  });
  afterAll(async () => {
    await started?.close();
    await redis?.destroy();
  });
  const kit = (): Kit => {
    if (!started) throw new Error('journeySuite: the kit starts in beforeAll');
    return started;
  };
  return {
    get run() {
      return kit().run;
    },
    get stub() {
      return kit().stub;
    },
    get clock() {
      return kit().clock;
    },
    get directory() {
      return kit().directory;
    },
    close: () => kit().close(),
  };
}

