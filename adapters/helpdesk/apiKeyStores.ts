import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type Redis from 'ioredis';
import { z } from 'zod';
import { SsprError } from '../../domain/errors';
import { API_SCOPES, type ApiKeyHasher, type ApiKeyRecord, type ApiKeyStore } from '../../domain/helpdesk/apiKeys';

/** HMAC-SHA256 of an API key's secret with the server key ring (first key for new keys, any listed key to check). */
export class HmacApiKeyHasher implements ApiKeyHasher {
  constructor(private readonly ring: readonly { readonly id: string; readonly key: Buffer }[]) {
    if (ring.length === 0) throw new SsprError('config_invalid', 'API key hasher needs at least one server key');
  }
  private mac(key: Buffer, secret: string): string {
    return createHmac('sha256', key).update('helpdesk-api-key:').update(secret).digest('base64url');
  }
  hash(secret: string): { hash: string; keyId: string } {
    const k = this.ring[0]!;
    return { hash: this.mac(k.key, secret), keyId: k.id };
  }
  verify(secret: string, hash: string, keyId: string): boolean {
    const k = this.ring.find((x) => x.id === keyId);
    if (!k) return false;
    const want = Buffer.from(this.mac(k.key, secret));
    const got = Buffer.from(hash);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

const RecordSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  name: z.string().min(1).max(64),
  scopes: z.array(z.enum(API_SCOPES)),
  hash: z.string().min(1),
  hashKeyId: z.string().min(1),
  createdAt: z.number().int(),
  revokedAt: z.number().int().optional(),
});

function parseRecord(raw: unknown): ApiKeyRecord | null {
  const r = RecordSchema.safeParse(raw);
  if (!r.success) return null;
  const { revokedAt, ...rest } = r.data;
  return revokedAt === undefined ? rest : { ...rest, revokedAt };
}

/** API keys in one Redis hash (`<prefix>helpdesk:apikeys`, field = key id): shared by every instance. */
export class RedisApiKeyStore implements ApiKeyStore {
  private readonly key: string;
  constructor(
    private readonly redis: Redis,
    prefix = 'sspr:',
  ) {
    this.key = `${prefix}helpdesk:apikeys`;
  }
  private async run<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (cause) {
      throw new SsprError('state_unavailable', 'API key store unavailable', { cause });
    }
  }
  async put(record: ApiKeyRecord): Promise<void> {
    await this.run(() => this.redis.hset(this.key, record.id, JSON.stringify(record)));
  }
  async get(id: string): Promise<ApiKeyRecord | null> {
    const v = await this.run(() => this.redis.hget(this.key, id));
    return v ? parseRecord(JSON.parse(v)) : null;
  }
  async list(): Promise<readonly ApiKeyRecord[]> {
    const all = await this.run(() => this.redis.hgetall(this.key));
    return Object.values(all)
      .map((v) => parseRecord(JSON.parse(v)))
      .filter((r): r is ApiKeyRecord => r !== null)
      .sort((a, b) => a.createdAt - b.createdAt);
  }
}

/**
 * API keys in a JSON file (no Redis): read on every lookup, so a key revoked with the CLI is refused at once;
 * written atomically (temp file + rename) with mode 0600.
 */
export class FileApiKeyStore implements ApiKeyStore {
  constructor(private readonly path: string) {}
  private async readAll(): Promise<ApiKeyRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new SsprError('state_unavailable', 'API key file unreadable', { cause: e });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (cause) {
      throw new SsprError('config_invalid', 'API key file is not valid JSON', { cause });
    }
    const keys = (raw as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) throw new SsprError('config_invalid', 'API key file has no "keys" array');
    return keys.map(parseRecord).filter((r): r is ApiKeyRecord => r !== null);
  }
  async put(record: ApiKeyRecord): Promise<void> {
    const all = (await this.readAll()).filter((r) => r.id !== record.id);
    all.push(record);
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ keys: all }, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.path);
  }
  async get(id: string): Promise<ApiKeyRecord | null> {
    return (await this.readAll()).find((r) => r.id === id) ?? null;
  }
  async list(): Promise<readonly ApiKeyRecord[]> {
    return (await this.readAll()).sort((a, b) => a.createdAt - b.createdAt);
  }
}
