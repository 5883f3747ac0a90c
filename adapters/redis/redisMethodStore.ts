import type Redis from 'ioredis';
import { SsprError } from '../../domain/errors';
import type { UserRef } from '../../domain/model/user';
import type { RegisteredMethod } from '../../domain/methods/registeredMethod';
import { byCreatedThenKind, type MethodKind } from '../../domain/model/methods';
import type { MethodSecrets, MethodStore, MethodToSave } from '../../domain/ports/methodStore';
import type { FieldCipher } from '../crypto/fieldCipher';
import type { HmacKeyRing } from '../crypto/keyRing';
import { LuaScript } from './luaScript';
import type { RedisKeys } from './redisKeys';
import type { UserRecordMemo } from './userRecordMemo';

/** What one hash field holds: the public method plus sealed secrets. Never a clear destination or TOTP secret. */
interface StoredRecord {
  readonly method: RegisteredMethod;
  readonly sealedDestination?: string;
  readonly sealedTotpSecret?: string;
  readonly answerHashes?: Readonly<Record<string, string>>;
}

/**
 * Encrypts, fingerprints and (de)serialises method records. Shared by the Redis store and the in-memory fake so both
 * keep exactly the same at-rest shape.
 */
export class MethodRecordCodec {
  constructor(
    private readonly cipher: FieldCipher,
    private readonly fingerprints: HmacKeyRing,
  ) {}

  private aad(user: UserRef, methodId: string, field: string): string {
    return `${user.tenantId}:${user.objectId}:${methodId}:${field}`;
  }

  encode(user: UserRef, entry: MethodToSave): { json: string; method: RegisteredMethod } {
    const { method, secrets } = entry;
    const destinationId = secrets.destination ? this.fingerprints.sign(secrets.destination.toLowerCase()).mac.slice(0, 32) : undefined;
    const full: RegisteredMethod = destinationId ? { ...method, destinationId } : { ...method };
    const rec: StoredRecord = {
      method: full,
      ...(secrets.destination ? { sealedDestination: this.cipher.encrypt(secrets.destination, this.aad(user, method.id, 'destination')) } : {}),
      ...(secrets.totpSecret ? { sealedTotpSecret: this.cipher.encrypt(secrets.totpSecret, this.aad(user, method.id, 'totp')) } : {}),
      ...(secrets.answerHashes ? { answerHashes: secrets.answerHashes } : {}),
    };
    return { json: JSON.stringify(rec), method: full };
  }

  decodeMethod(json: string): RegisteredMethod {
    return this.parse(json).method;
  }

  decode(user: UserRef, json: string): { method: RegisteredMethod; secrets: MethodSecrets } {
    const rec = this.parse(json);
    const id = rec.method.id;
    const secrets: MethodSecrets = {
      ...(rec.sealedDestination ? { destination: this.cipher.decrypt(rec.sealedDestination, this.aad(user, id, 'destination')) } : {}),
      ...(rec.sealedTotpSecret ? { totpSecret: this.cipher.decrypt(rec.sealedTotpSecret, this.aad(user, id, 'totp')) } : {}),
      ...(rec.answerHashes ? { answerHashes: rec.answerHashes } : {}),
    };
    return { method: rec.method, secrets };
  }

  withMethod(json: string, change: (m: RegisteredMethod) => RegisteredMethod): string {
    const rec = this.parse(json);
    return JSON.stringify({ ...rec, method: change(rec.method) });
  }

  private parse(json: string): StoredRecord {
    try {
      return JSON.parse(json) as StoredRecord;
    } catch (cause) {
      throw new SsprError('internal', 'stored method record is not valid JSON', { cause });
    }
  }
}


// KEYS: methods hash. ARGV: method id, field name, value. Timestamps live in their own fields (`<id>|confirmedAt`) so
// an update never rewrites the record and never recreates a removed method.
const PATCH_SCRIPT = new LuaScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], ARGV[3])
return 1
`);

// KEYS: methods hash. ARGV: method id, record JSON. Insert or replace in one atomic command: a replaced method starts
// from the timestamps it is saved with (its timestamp fields go), and one command rides in the turn's auto-pipeline
// with other writes (issue 15: the pre-fill saves and its flag in one round trip).
const SAVE_SCRIPT = new LuaScript(`
redis.call('HDEL', KEYS[1], ARGV[1] .. '|confirmedAt', ARGV[1] .. '|lastUsedAt')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`);

type Stamps = { confirmedAt?: number; lastUsedAt?: number };

/** Splits a methods hash into records (by id) and their timestamp fields. */
function splitHash(all: Readonly<Record<string, string>>): { records: Map<string, string>; stamps: Map<string, Stamps> } {
  const records = new Map<string, string>();
  const stamps = new Map<string, Stamps>();
  for (const [field, value] of Object.entries(all)) {
    const bar = field.indexOf('|');
    if (bar < 0) {
      records.set(field, value);
      continue;
    }
    const id = field.slice(0, bar);
    const name = field.slice(bar + 1);
    const s = stamps.get(id) ?? {};
    if (name === 'confirmedAt' || name === 'lastUsedAt') s[name] = Number(value);
    stamps.set(id, s);
  }
  return { records, stamps };
}

/**
 * MethodStore on Redis: one hash per user (`{u:<tenant>:<oid>}:methods`), field `<id>` holds the record and
 * `<id>|confirmedAt`, `<id>|lastUsedAt` the latest timestamps. With a {@link UserRecordMemo}, reads inside a turn
 * come from the turn's one read of the user's record, and every write tells the memo (re-read behind the write).
 */
export class RedisMethodStore implements MethodStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly codec: MethodRecordCodec,
    private readonly memo?: UserRecordMemo,
  ) {}

  private async readAll(user: UserRef): Promise<{ records: Map<string, string>; stamps: Map<string, Stamps> }> {
    if (this.memo?.active()) return splitHash((await this.memo.read(user)).methods);
    return splitHash(await this.redis.hgetall(this.keys.methods(user)));
  }

  private wrote(user: UserRef): () => void {
    return () => this.memo?.wrote(user);
  }

  private static merge(m: RegisteredMethod, s: Stamps | undefined): RegisteredMethod {
    if (!s) return m;
    return {
      ...m,
      confirmedAt: s.confirmedAt !== undefined && s.confirmedAt > (m.confirmedAt ?? 0) ? s.confirmedAt : m.confirmedAt,
      lastUsedAt: s.lastUsedAt !== undefined && s.lastUsedAt > (m.lastUsedAt ?? 0) ? s.lastUsedAt : m.lastUsedAt,
    };
  }

  async list(user: UserRef): Promise<readonly RegisteredMethod[]> {
    const { records, stamps } = await this.readAll(user);
    return [...records.entries()].map(([id, v]) => RedisMethodStore.merge(this.codec.decodeMethod(v), stamps.get(id))).sort(byCreatedThenKind);
  }

  async get(user: UserRef, methodId: string): Promise<{ method: RegisteredMethod; secrets: MethodSecrets } | null> {
    const key = this.keys.methods(user);
    const fields = [methodId, `${methodId}|confirmedAt`, `${methodId}|lastUsedAt`];
    let values: (string | null | undefined)[];
    if (this.memo?.active()) {
      const hash = (await this.memo.read(user)).methods;
      values = fields.map((f) => hash[f]);
    } else values = await this.redis.hmget(key, ...fields);
    const [v, c, u] = values;
    if (v === null || v === undefined) return null;
    const d = this.codec.decode(user, v);
    const stamps: Stamps = {
      ...(c ? { confirmedAt: Number(c) } : {}),
      ...(u ? { lastUsedAt: Number(u) } : {}),
    };
    return { method: RedisMethodStore.merge(d.method, stamps), secrets: d.secrets };
  }

  async ofKind(user: UserRef, kind: MethodKind): Promise<readonly { method: RegisteredMethod; secrets: MethodSecrets }[]> {
    const { records, stamps } = await this.readAll(user);
    const out: { method: RegisteredMethod; secrets: MethodSecrets }[] = [];
    for (const [id, v] of records) {
      if (this.codec.decodeMethod(v).kind !== kind) continue;
      const d = this.codec.decode(user, v);
      out.push({ method: RedisMethodStore.merge(d.method, stamps.get(id)), secrets: d.secrets });
    }
    return out.sort((a, b) => byCreatedThenKind(a.method, b.method));
  }

  async save(user: UserRef, entry: MethodToSave): Promise<RegisteredMethod> {
    const { json, method } = this.codec.encode(user, entry);
    await SAVE_SCRIPT.run(this.redis, [this.keys.methods(user)], [method.id, json], this.wrote(user));
    return method;
  }

  async markConfirmed(user: UserRef, methodId: string, at: number): Promise<boolean> {
    return (await PATCH_SCRIPT.run(this.redis, [this.keys.methods(user)], [methodId, 'confirmedAt', at], this.wrote(user))) === 1;
  }

  async markUsed(user: UserRef, methodId: string, at: number): Promise<boolean> {
    return (await PATCH_SCRIPT.run(this.redis, [this.keys.methods(user)], [methodId, 'lastUsedAt', at], this.wrote(user))) === 1;
  }

  async remove(user: UserRef, methodId: string): Promise<boolean> {
    const key = this.keys.methods(user);
    const sent = this.redis.multi().hdel(key, methodId).hdel(key, `${methodId}|confirmedAt`, `${methodId}|lastUsedAt`).exec();
    this.memo?.wrote(user);
    const r = await sent;
    return Number(r?.[0]?.[1] ?? 0) > 0;
  }

  async removeAll(user: UserRef): Promise<void> {
    const sent = this.redis.del(this.keys.methods(user));
    this.memo?.wrote(user);
    await sent;
  }
}
