import type { UserRef } from '../model/user';
import type { FlowStep } from './flowStore';
import type { GrantTerms } from './grantStore';
import type { RecordChange } from './recordChange';

/** RFC 6238 primitives (SHA-1, 6 digits, 30 s, ±1 step), implemented with otplib in adapters/crypto. */
export interface TotpEngine {
  /** A new random base32 shared secret. */
  generateSecret(): string;
  /** otpauth://totp/… URI for authenticator apps. */
  keyUri(account: string, issuer: string, secret: string): string;
  /** PNG data URI of a QR code for the URI. */
  qrDataUri(uri: string): Promise<string>;
  /** The absolute time step the token matches at `atMs` (within ±1 step), or null. */
  matchStep(secret: string, token: string, atMs: number): number | null;
}

/** What an accepted TOTP writes in the same atomic step as its used time step (F16, issue 15: one script in Redis). */
export interface TotpAcceptance {
  /** The method the code matched: `confirmedAt` (a pending enrolment becomes active) or `lastUsedAt` set to `at`. */
  readonly methodId: string;
  readonly mark: 'confirmedAt' | 'lastUsedAt';
  readonly at: number;
  /** A verification flow's step (compare-and-set on its version). */
  readonly step?: FlowStep;
  /** With `step`: the step verifies the flow, whose grant is issued too (R16; idempotent per flow). */
  readonly grant?: GrantTerms;
  /** Security info (issue 15): an enrolment's first code takes this change with it (flags, replaced authenticators). */
  readonly change?: RecordChange;
}

export type TotpAccepted =
  /** `stepped`: the flow step was taken (false: the store cannot take one; the caller advances the flow itself). */
  | { readonly ok: true; readonly stepped: boolean; readonly grant?: { readonly issuedAt: number; readonly expiresAt: number } }
  /** `replayed`: the step was used before (R12); `flow_moved`: the flow is past the step's version. Nothing written. */
  | { readonly ok: false; readonly reason: 'replayed' | 'flow_moved' };

/** Remembers used TOTP time steps per user so one step is accepted once (R12); entries live ≥ 90 s. */
export interface TotpReplayCache {
  /**
   * Records the step as used — only when it was not used before and the flow (if any) is still at the step's version —
   * and in the same atomic step marks the method, advances the flow and issues the grant: all of it or nothing.
   */
  accept(user: UserRef, step: number, acceptance: TotpAcceptance): Promise<TotpAccepted>;
}
