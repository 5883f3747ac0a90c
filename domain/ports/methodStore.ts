import type { UserRef } from '../model/user';
import type { RegisteredMethod } from '../methods/registeredMethod';
import type { MethodKind } from '../model/methods';

/** Secret parts of a method. Adapters encrypt `destination` and `totpSecret` at rest; answers arrive already hashed. */
export interface MethodSecrets {
  /** E.164 phone number or e-mail address. */
  readonly destination?: string;
  /** Base32 TOTP shared secret. */
  readonly totpSecret?: string;
  /** Security questions: argon2id hashes (PHC strings) by question id. */
  readonly answerHashes?: Readonly<Record<string, string>>;
}

/** A new or replaced method: the public part (without destinationId, which the store derives) plus its secrets. */
export interface MethodToSave {
  readonly method: Omit<RegisteredMethod, 'destinationId'>;
  readonly secrets: MethodSecrets;
}

/**
 * Registered verification methods of a user. All keys of one user live under one Redis hash tag (F20).
 * Never logs or returns a clear destination except through `secrets`.
 */
export interface MethodStore {
  /** All methods of a user (no secrets), oldest first. */
  list(user: UserRef): Promise<readonly RegisteredMethod[]>;
  /** One method with its decrypted secrets, or null. */
  get(user: UserRef, methodId: string): Promise<{ method: RegisteredMethod; secrets: MethodSecrets } | null>;
  /** The methods of one kind with their decrypted secrets, in one read (a TOTP check reads them with its flow). */
  ofKind(user: UserRef, kind: MethodKind): Promise<readonly { method: RegisteredMethod; secrets: MethodSecrets }[]>;
  /** Insert or replace a method (by id). */
  save(user: UserRef, entry: MethodToSave): Promise<RegisteredMethod>;
  /** Set confirmedAt (successful round trip / re-confirmation). Returns false when the method is gone. */
  markConfirmed(user: UserRef, methodId: string, at: number): Promise<boolean>;
  /** Set lastUsedAt (successful verification). */
  markUsed(user: UserRef, methodId: string, at: number): Promise<boolean>;
  /** Remove a method; returns false when it did not exist. */
  remove(user: UserRef, methodId: string): Promise<boolean>;
  /** Remove every method and secret of a user (offboarding, tests). */
  removeAll(user: UserRef): Promise<void>;
}
