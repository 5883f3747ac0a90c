import type { UserRef } from '../../domain/model/user';
import type { RegisteredMethod } from '../../domain/methods/registeredMethod';
import { byCreatedThenKind, type MethodKind } from '../../domain/model/methods';
import type { MethodSecrets, MethodStore, MethodToSave } from '../../domain/ports/methodStore';
import type { MethodRecordCodec } from '../redis/redisMethodStore';

/** In-memory MethodStore keeping the same encrypted record shape as Redis (via MethodRecordCodec). */
export class MemoryMethodStore implements MethodStore {
  private readonly users = new Map<string, Map<string, string>>();

  constructor(private readonly codec: MethodRecordCodec) {}

  private of(user: UserRef): Map<string, string> {
    const k = `${user.tenantId}:${user.objectId}`;
    let m = this.users.get(k);
    if (!m) {
      m = new Map();
      this.users.set(k, m);
    }
    return m;
  }

  async list(user: UserRef): Promise<readonly RegisteredMethod[]> {
    return [...this.of(user).values()]
      .map((v) => this.codec.decodeMethod(v))
      .sort(byCreatedThenKind);
  }

  async get(user: UserRef, methodId: string): Promise<{ method: RegisteredMethod; secrets: MethodSecrets } | null> {
    const v = this.of(user).get(methodId);
    return v === undefined ? null : this.codec.decode(user, v);
  }

  async ofKind(user: UserRef, kind: MethodKind): Promise<readonly { method: RegisteredMethod; secrets: MethodSecrets }[]> {
    return [...this.of(user).values()]
      .filter((v) => this.codec.decodeMethod(v).kind === kind)
      .map((v) => this.codec.decode(user, v))
      .sort((a, b) => byCreatedThenKind(a.method, b.method));
  }

  async save(user: UserRef, entry: MethodToSave): Promise<RegisteredMethod> {
    const { json, method } = this.codec.encode(user, entry);
    this.of(user).set(method.id, json);
    return method;
  }

  /** markConfirmed / markUsed, synchronously (the memory TOTP acceptance stamps in the same step as its other writes). */
  stampNow(user: UserRef, id: string, field: 'confirmedAt' | 'lastUsedAt', at: number): boolean {
    return this.patch(user, id, (m) => ({ ...m, [field]: Math.max(at, m[field] ?? 0) }));
  }

  private patch(user: UserRef, id: string, change: (m: RegisteredMethod) => RegisteredMethod): boolean {
    const m = this.of(user);
    const v = m.get(id);
    if (v === undefined) return false;
    m.set(id, this.codec.withMethod(v, change));
    return true;
  }

  async markConfirmed(user: UserRef, methodId: string, at: number): Promise<boolean> {
    return this.patch(user, methodId, (m) => ({ ...m, confirmedAt: Math.max(at, m.confirmedAt ?? 0) }));
  }

  async markUsed(user: UserRef, methodId: string, at: number): Promise<boolean> {
    return this.patch(user, methodId, (m) => ({ ...m, lastUsedAt: Math.max(at, m.lastUsedAt ?? 0) }));
  }

  async remove(user: UserRef, methodId: string): Promise<boolean> {
    return this.removeNow(user, methodId);
  }

  /** remove, synchronously (a memory acceptance's record change, in the same step as its other writes). */
  removeNow(user: UserRef, methodId: string): boolean {
    return this.of(user).delete(methodId);
  }

  async removeAll(user: UserRef): Promise<void> {
    this.users.delete(`${user.tenantId}:${user.objectId}`);
  }

  /** Test helper: the raw stored records (to prove nothing is in clear). */
  rawRecords(): readonly string[] {
    return [...this.users.values()].flatMap((m) => [...m.values()]);
  }
}
