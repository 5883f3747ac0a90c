import { createHmac } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { AuditEvent, AuditLog } from '../../domain/ports/auditLog';
import type { Clock } from '../../domain/ports/clock';
import type { UserRef } from '../../domain/model/user';

/** Anything that takes one JSON object per event: a pino logger (`info(obj)`) or a writable stream. */
export type AuditSink = { info(obj: object): void } | Writable;

// Values that look like secrets: 6–8 digit codes, recovery codes, long digit runs (phone numbers), e-mail addresses,
// JWT-ish tokens, base32 blobs (TOTP secrets), PHC hashes.
const SECRET_PATTERNS: readonly RegExp[] = [
  /(?<![\w-])\d{6,8}(?![\w-])/,
  /\+?\d[\d\s().-]{7,}\d/,
  /[^\s@]+@[^\s@]+\.[^\s@]+/,
  /\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b/,
  /\beyJ[\w-]+\.[\w-]+/,
  /\b[A-Z2-7]{16,}\b/,
  /\$argon2/,
];
const SECRET_NAMES = /pass|code|secret|token|answer|otp|pin|key/i;
/** Detail keys whose values are masked destinations by construction. */
const MASKED_KEYS = new Set(['to', 'maskedDestination']);

function escapeLineBreaks(s: string): string {
  return s.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/[\u2028\u2029]/g, ' ');
}

/** Strip or redact anything that could be a secret. Exported for tests. */
export function sanitiseValue(key: string, value: string | number | boolean): string | number | boolean {
  if (typeof value !== 'string') return SECRET_NAMES.test(key) && typeof value === 'number' ? '[redacted]' : value;
  if (SECRET_NAMES.test(key)) return '[redacted]';
  const v = escapeLineBreaks(value).slice(0, 200);
  if (MASKED_KEYS.has(key) && /•/.test(v)) return v;
  return SECRET_PATTERNS.some((p) => p.test(v)) ? '[redacted]' : v;
}

/**
 * Correlation ids are ours (hex) or the channel's activity ids: an id-shaped value with a letter in it is kept as it
 * is — a hex id with a long digit run would otherwise be taken for a phone number and redacted, breaking the trail
 * (R20). Anything else gets the full secret check.
 */
function correlationValue(id: string): string | number | boolean {
  return /^[A-Za-z0-9._:-]{1,64}$/.test(id) && /[A-Za-z]/.test(id) ? id : sanitiseValue('correlationId', id);
}

/**
 * The default AuditLog (R20): one JSON line per event with UTC time, correlation id, pseudonymous user id
 * (HMAC-SHA256 of tenant:oid under keys.auditPseudonym, 16 bytes hex), method kind, outcome and reason code.
 * Line breaks in any text are escaped; values that look like secrets are redacted.
 */
export class JsonAuditLog implements AuditLog {
  constructor(
    private readonly sink: AuditSink,
    private readonly pseudonymKey: Buffer,
    private readonly clock: Clock,
  ) {}

  pseudonym(user: UserRef): string {
    return createHmac('sha256', this.pseudonymKey).update(`${user.tenantId}:${user.objectId}`).digest('hex').slice(0, 32);
  }

  format(event: AuditEvent): Record<string, unknown> {
    const line: Record<string, unknown> = {
      audit: true,
      time: new Date(this.clock.now()).toISOString(),
      type: sanitiseValue('type', event.type),
      correlationId: correlationValue(event.correlationId),
      outcome: event.outcome,
    };
    if (event.user) line.user = this.pseudonym(event.user);
    if (event.methodKind) line.methodKind = sanitiseValue('methodKind', event.methodKind);
    if (event.reason) line.reason = sanitiseValue('reason', event.reason);
    if (event.detail) {
      const d: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(event.detail)) d[escapeLineBreaks(k).slice(0, 40)] = sanitiseValue(k, v);
      line.detail = d;
    }
    return line;
  }

  async record(event: AuditEvent): Promise<void> {
    const line = this.format(event);
    if ('info' in this.sink && typeof this.sink.info === 'function') this.sink.info(line);
    else (this.sink as Writable).write(`${JSON.stringify(line)}\n`);
  }
}

/** In-memory AuditLog for tests: keeps the formatted lines (same sanitising as the JSON adapter). */
export class MemoryAuditLog implements AuditLog {
  readonly events: AuditEvent[] = [];
  readonly lines: string[] = [];
  private readonly json: JsonAuditLog;

  constructor(clock: Clock, pseudonymKey: Buffer = Buffer.alloc(32, 7)) {
    this.json = new JsonAuditLog({ info: (o: object) => this.lines.push(JSON.stringify(o)) }, pseudonymKey, clock);
  }

  async record(event: AuditEvent): Promise<void> {
    this.events.push(event);
    await this.json.record(event);
  }

  ofType(type: string): readonly AuditEvent[] {
    return this.events.filter((e) => e.type === type);
  }
}
