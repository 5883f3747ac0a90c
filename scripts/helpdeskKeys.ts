/**
 * `npm run helpdesk-keys -- create --name <name> --scopes handoffs:write,handoffs:read`
 * `npm run helpdesk-keys -- list`
 * `npm run helpdesk-keys -- revoke <id>`
 *
 * Manages the ITSM API keys (docs/helpdesk-api.md) with the bot's own configuration: Redis when REDIS_URL is set,
 * else the file HELPDESK_API_KEYS_FILE; keys are hashed with the first CODE_HMAC_KEYS key. The full key is printed
 * ONCE, at creation; only its hash is stored.
 */
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { loadConfig } from '../bot/config';
import { createRedis } from '../bot/redisClient';
import { createApiKeys } from '../bot/api/helpdesk';
import { createStateBackend } from '../bot/state/stateBackend';
import { API_SCOPES, type ApiScope } from '../domain/helpdesk/apiKeys';
import { CryptoRandom } from '../adapters/crypto/cryptoRandom';

const USAGE =
  'Usage: helpdesk-keys create --name <name> --scopes <scope,…>   (scopes: ' +
  API_SCOPES.join(', ') +
  ')\n       helpdesk-keys list\n       helpdesk-keys revoke <id>\n';

export interface CliIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

/** Runs one command; returns the exit status. Exported for tests. */
export async function runHelpdeskKeys(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { name: { type: 'string' }, scopes: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || !command) {
    io.out(USAGE);
    return parsed.values.help ? 0 : 2;
  }
  const config = loadConfig(env);
  const redis: Redis | null = config.redis.url ? createRedis(config.redis.url, { connectionName: 'sspr-helpdesk-keys', cluster: config.redis.cluster }) : null;
  try {
    if (redis) await ready(redis, 5000);
    const clock = { now: () => Date.now() };
    const keys = createApiKeys(config, createStateBackend(config, redis, { clock }).apiKeys, clock, new CryptoRandom());
    switch (command) {
      case 'create': {
        const scopes = (parsed.values.scopes ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const r = await keys.create(parsed.values.name ?? '', scopes as ApiScope[]);
        if (!r.ok) {
          io.err(r.reason === 'invalid_name' ? 'create: --name is required (1–64 letters, digits, space . @ _ -)\n' : `create: --scopes must be a comma-separated list of ${API_SCOPES.join(', ')}\n`);
          return 2;
        }
        const { record, key } = r.value;
        if (parsed.values.json) io.out(`${JSON.stringify({ id: record.id, name: record.name, scopes: record.scopes, key })}\n`);
        else
          io.out(
            `Created API key ${record.id} (${record.name}; ${record.scopes.join(', ')}).\n` +
              `Key (shown once — store it in the ticketing system now; it cannot be shown again):\n\n  ${key}\n\n` +
              `Send it as: Authorization: ApiKey ${key.slice(0, 17)}…\n`,
          );
        return 0;
      }
      case 'list': {
        const all = await keys.list();
        if (parsed.values.json) {
          io.out(`${JSON.stringify(all.map((k) => ({ id: k.id, name: k.name, scopes: k.scopes, createdAt: k.createdAt, ...(k.revokedAt ? { revokedAt: k.revokedAt } : {}) })))}\n`);
          return 0;
        }
        if (all.length === 0) io.out('No API keys.\n');
        for (const k of all) {
          const state = k.revokedAt ? `revoked ${new Date(k.revokedAt).toISOString()}` : 'active';
          io.out(`${k.id}  ${k.name}  [${k.scopes.join(',')}]  created ${new Date(k.createdAt).toISOString()}  ${state}\n`);
        }
        return 0;
      }
      case 'revoke': {
        const id = rest[0];
        if (!id) {
          io.err(`revoke: which key? ${USAGE}`);
          return 2;
        }
        const r = await keys.revoke(id);
        if (!r.ok) {
          io.err(r.reason === 'unknown' ? `revoke: no API key ${id}\n` : `revoke: ${id} was already revoked\n`);
          return 1;
        }
        io.out(`Revoked API key ${id}; requests with it are refused from now on.\n`);
        return 0;
      }
      default:
        io.err(`Unknown command ${command}.\n${USAGE}`);
        return 2;
    }
  } finally {
    if (redis) await redis.quit().catch(() => redis.disconnect());
  }
}

/** The bot's Redis client queues nothing while offline: wait for the connection (or fail clearly). */
async function ready(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', done);
      reject(new Error(`cannot reach Redis within ${timeoutMs} ms`));
    }, timeoutMs);
    function done(): void {
      clearTimeout(timer);
      resolve();
    }
    redis.once('ready', done);
  });
}

if (require.main === module) {
  runHelpdeskKeys(process.argv.slice(2), process.env, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`helpdesk-keys: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
