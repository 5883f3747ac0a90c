import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../domain/ports/clock';

export const SIGNATURE_HEADER = 'x-sspr-signature';
export const TIMESTAMP_HEADER = 'x-sspr-timestamp';

/** `v1=` + hex HMAC-SHA256(secret, `<timestamp>.<body>`), timestamp = Unix seconds (docs/helpdesk-api.md). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The receiver's check: signature matches and the timestamp is within `toleranceSeconds` of `nowSeconds`. */
export function verifyWebhook(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const want = Buffer.from(signWebhook(secret, ts, body));
  const got = Buffer.from(headers.signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

export interface WebhookSenderOptions {
  readonly url: string;
  readonly secret: string;
  readonly clock: Clock;
  /** Tries in all (first + retries). */
  readonly attempts?: number;
  /** First back-off; doubles each retry, with jitter. */
  readonly baseDelayMs?: number;
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onGiveUp?: (eventId: string, lastStatus: number | 'error') => void;
}

export type WebhookResult = { ok: true; attempts: number } | { ok: false; attempts: number; last: number | 'error' };

/**
 * Outcome webhooks to the ITSM system: JSON POST signed with HMAC-SHA256 over `<timestamp>.<body>`; retried with
 * exponential back-off on network errors, 408, 429 and 5xx; other 4xx are final. The payload holds statuses and ids
 * only — never a token, code, password or destination.
 */
export class WebhookSender {
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: WebhookSenderOptions) {
    this.attempts = o.attempts ?? 5;
    this.baseDelayMs = o.baseDelayMs ?? 1000;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async send(eventId: string, payload: Readonly<Record<string, unknown>>): Promise<WebhookResult> {
    const body = JSON.stringify({ id: eventId, ...payload });
    let last: number | 'error' = 'error';
    for (let i = 1; i <= this.attempts; i++) {
      const ts = Math.floor(this.o.clock.now() / 1000);
      try {
        const res = await fetch(this.o.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [TIMESTAMP_HEADER]: String(ts),
            [SIGNATURE_HEADER]: signWebhook(this.o.secret, ts, body),
            'x-sspr-event-id': eventId,
          },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        last = res.status;
        if (res.ok) return { ok: true, attempts: i };
        if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch {
        last = 'error';
      }
      if (i < this.attempts) {
        const delay = this.baseDelayMs * 2 ** (i - 1);
        await this.sleep(delay + Math.floor(Math.random() * (delay / 4)));
      }
    }
    this.o.onGiveUp?.(eventId, last);
    return { ok: false, attempts: this.attempts, last };
  }
}
