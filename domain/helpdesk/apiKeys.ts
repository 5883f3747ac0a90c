import type { Result } from '../errors';
import { fail, ok } from '../errors';
import type { Clock, RandomSource } from '../ports/clock';

/** What an API key may do: the ITSM hand-off API, and the admin insights and audit export (issue 14). */
export const API_SCOPES = ['handoffs:write', 'handoffs:read', 'insights:read', 'audit:read'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** A stored API key: never the secret itself, only its keyed hash (and which server key made it). */
export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly ApiScope[];
  /** Keyed one-way hash of the secret part. */
  readonly hash: string;
  /** Which server key made `hash` (key rotation). */
  readonly hashKeyId: string;
  readonly createdAt: number;
  readonly revokedAt?: number;
}

/** Where API keys live (Redis when configured, else a JSON file). Unexpected failures throw SsprError. */
export interface ApiKeyStore {
  put(record: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | null>;
  list(): Promise<readonly ApiKeyRecord[]>;
}

/** Keyed hashing of key secrets (adapter: HMAC-SHA256 with a server key ring). */
export interface ApiKeyHasher {
  hash(secret: string): { readonly hash: string; readonly keyId: string };
  /** Constant-time check against a stored hash made with server key `keyId`. */
  verify(secret: string, hash: string, keyId: string): boolean;
}

export type AuthRefusal = 'missing' | 'malformed' | 'unknown' | 'revoked' | 'bad_secret' | 'scope';

/** The caller behind a valid key. */
export interface ApiPrincipal {
  readonly keyId: string;
  readonly name: string;
  readonly scopes: readonly ApiScope[];
}

const ID_RE = /^[0-9a-f]{16}$/;
const SECRET_RE = /^[A-Za-z0-9_-]{43}$/;

/** Split `Authorization: ApiKey <id>.<secret>`; null when absent or malformed. */
export function parseApiKeyHeader(header: string | undefined): { id: string; secret: string } | 'missing' | 'malformed' {
  if (!header || !header.trim()) return 'missing';
  const m = /^ApiKey\s+([^.\s]+)\.(\S+)$/i.exec(header.trim());
  if (!m?.[1] || !m[2] || !ID_RE.test(m[1]) || !SECRET_RE.test(m[2])) return 'malformed';
  return { id: m[1], secret: m[2] };
}

/**
 * ITSM API keys: created with a name and scopes (the full key is returned ONCE), stored as keyed hashes, listed
 * without secrets, revoked by id, and checked on every request (unknown, revoked, wrong secret, missing scope).
 */
export class ApiKeys {
  constructor(
    private readonly deps: { readonly store: ApiKeyStore; readonly hasher: ApiKeyHasher; readonly clock: Clock; readonly random: RandomSource },
  ) {}

  /** Create a key; `key` (`<id>.<secret>`) is shown once and never stored. */
  async create(name: string, scopes: readonly ApiScope[]): Promise<Result<{ record: ApiKeyRecord; key: string }, 'invalid_name' | 'invalid_scopes'>> {
    const clean = name.trim();
    if (!/^[\w .@-]{1,64}$/.test(clean)) return fail('invalid_name');
    const unique = [...new Set(scopes)];
    if (unique.length === 0 || unique.some((s) => !(API_SCOPES as readonly string[]).includes(s))) return fail('invalid_scopes');
    const id = hex(this.deps.random.bytes(8));
    const secret = base64url(this.deps.random.bytes(32));
    const { hash, keyId } = this.deps.hasher.hash(secret);
    const record: ApiKeyRecord = { id, name: clean, scopes: unique, hash, hashKeyId: keyId, createdAt: this.deps.clock.now() };
    await this.deps.store.put(record);
    return ok({ record, key: `${id}.${secret}` });
  }

  async list(): Promise<readonly ApiKeyRecord[]> {
    return this.deps.store.list();
  }

  /** Revoke by id: effective on the next request of every instance. */
  async revoke(id: string): Promise<Result<ApiKeyRecord, 'unknown' | 'already_revoked'>> {
    const r = await this.deps.store.get(id);
    if (!r) return fail('unknown');
    if (r.revokedAt !== undefined) return fail('already_revoked');
    const revoked = { ...r, revokedAt: this.deps.clock.now() };
    await this.deps.store.put(revoked);
    return ok(revoked);
  }

  /** Check an Authorization header for a scope. The refusal says why (for the audit); callers answer 401/403. */
  async authenticate(header: string | undefined, scope: ApiScope): Promise<Result<ApiPrincipal, AuthRefusal> & { keyId?: string }> {
    const parsed = parseApiKeyHeader(header);
    if (parsed === 'missing' || parsed === 'malformed') return fail(parsed);
    const r = await this.deps.store.get(parsed.id);
    if (!r) return { ...fail('unknown'), keyId: parsed.id };
    if (!this.deps.hasher.verify(parsed.secret, r.hash, r.hashKeyId)) return { ...fail('bad_secret'), keyId: r.id };
    if (r.revokedAt !== undefined) return { ...fail('revoked'), keyId: r.id };
    if (!r.scopes.includes(scope)) return { ...fail('scope'), keyId: r.id };
    return { ...ok({ keyId: r.id, name: r.name, scopes: r.scopes }), keyId: r.id };
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** base64url without padding (pure; the domain does not use Buffer). */
function base64url(b: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of b) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      out += B64[(value >> (bits - 6)) & 63]!;
      bits -= 6;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B64[(value << (6 - bits)) & 63]!;
  return out;
}
