import { authenticator } from 'otplib';
import QRCode from 'qrcode';
import type { TotpEngine } from '../../domain/ports/totp';
import { isCodeFormat, normaliseCode } from '../../domain/codes/codeFormat';

const STEP_SECONDS = 30;

/** RFC 6238 via otplib 12: SHA-1, 6 digits, 30 s, window ±1; time comes from the caller (`epoch`), not the host. */
export class OtplibTotpEngine implements TotpEngine {
  generateSecret(): string {
    return authenticator.generateSecret(20);
  }

  keyUri(account: string, issuer: string, secret: string): string {
    return authenticator.keyuri(account, issuer, secret);
  }

  async qrDataUri(uri: string): Promise<string> {
    return QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, scale: 6 });
  }

  matchStep(secret: string, token: string, atMs: number): number | null {
    if (!isCodeFormat(token) || normaliseCode(token) !== token) return null;
    const a = authenticator.clone({ epoch: atMs, window: 1, step: STEP_SECONDS, digits: 6 });
    const delta = a.checkDelta(token, secret);
    if (delta === null) return null;
    return Math.floor(atMs / 1000 / STEP_SECONDS) + delta;
  }

  /** Token for a time (tests, demo). */
  generate(secret: string, atMs: number): string {
    return authenticator.clone({ epoch: atMs, step: STEP_SECONDS, digits: 6 }).generate(secret);
  }
}
