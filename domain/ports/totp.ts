import type { UserRef } from '../model/user';

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

/** Remembers used TOTP time steps per user so one step is accepted once (R12); entries live ≥ 90 s. */
export interface TotpReplayCache {
  /** True when the step was not used before (and is now recorded). */
  claim(user: UserRef, step: number): Promise<boolean>;
}
