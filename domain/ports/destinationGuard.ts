import type { CodeChannel } from '../model/methods';
import type { ThrottleBucket } from './throttle';

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
   * Issue 15: `admit` without I/O, for a caller that takes the shared buckets together with its own — normalised,
   * checked (allow-list, premium rate), and the shared buckets the send needs (phones: the per-prefix velocity of
   * R30). After the send is admitted the caller calls {@link counted}.
   */
  plan(
    channel: CodeChannel,
    raw: string,
  ):
    | { ok: true; value: string; country?: string; prefix?: string; buckets: readonly ThrottleBucket[] }
    | { ok: false; reason: Exclude<DestinationRefusal, 'prefix_velocity'> };
  /** Counts one admitted send (R30: the hourly count against its 7-day baseline, and its alert). */
  counted(channel: CodeChannel, value: string, correlationId: string): Promise<void>;
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
