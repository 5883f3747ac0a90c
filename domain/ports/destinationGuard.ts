import type { CodeChannel } from '../model/methods';

export type DestinationRefusal = 'invalid' | 'country_not_allowed' | 'premium_rate' | 'prefix_velocity';

/**
 * Checks and normalises a destination before a code is sent to it: phone numbers to E.164 with the R30 checks
 * (country allow-list, premium-rate prefixes, per-prefix velocity, baseline alert), e-mail addresses for syntax and
 * header injection. `admit` is called once per send and counts it.
 */
export interface DestinationGuard {
  /** Normalise without counting (registration input). */
  normalise(
    channel: CodeChannel,
    raw: string,
  ): { ok: true; value: string } | { ok: false; reason: Exclude<DestinationRefusal, 'prefix_velocity'> };
  /**
   * Normalise, check and count one send. For phones also the ISO country and the velocity prefix ("+" and the first
   * digits, never the whole number) — what the insights count sends by (R30 baseline).
   */
  admit(
    channel: CodeChannel,
    raw: string,
    correlationId: string,
  ): Promise<
    | { ok: true; value: string; country?: string; prefix?: string }
    /** `prefix` names the shared bucket that was over its limit (`prefix_velocity`), `limit` that bucket's limit. */
    | { ok: false; reason: DestinationRefusal; retryAt?: number; prefix?: string; limit?: number }
  >;
}
