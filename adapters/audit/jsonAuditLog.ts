import { createHmac } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { AuditEvent, AuditLog } from '../../domain/ports/auditLog';
import type { Clock } from '../../domain/ports/clock';
import type { UserRef } from '../../domain/model/user';

/** Anything that takes one JSON object per event: a pino logger (`info(obj)`) or a writable stream. */
export type AuditSink = { info(obj: object): void } | Writable;

/** One formatted, sanitised audit line (what every sink receives). `time` is the event's UTC time (ISO 8601). */
export type AuditLine = Readonly<Record<string, unknown>> & { readonly time: string; readonly type: string; readonly outcome: string };

/**
 * Where formatted audit lines go (stdout, a JSONL file, syslog over TLS). A sink never sees a raw event: only the
 * sanitised line (R20), so the secret check is done once for all of them. `write` resolves once the line is
 * handed over (a file: written; syslog: queued for the connection).
 */
export interface AuditLineSink {
  write(line: AuditLine): Promise<void>;
  close?(): Promise<void>;
}

/** A pino logger (has levels and child loggers): it stamps its own `time`, so ours is left out (one `time` key). */
function isPino(sink: AuditSink): boolean {
  return 'info' in sink && 'child' in sink && 'levels' in sink;
}

/** The pino logger or writable stream of the older constructor form, as a line sink. */
export function toLineSink(sink: AuditSink): AuditLineSink {
  if ('info' in sink && typeof sink.info === 'function') {
    const logger = sink;
    const omitTime = isPino(sink);
    return {
      write: async (line) => {
        if (omitTime) {
          const { time: _time, ...rest } = line;
          logger.info(rest);
        } else logger.info(line);
      },
    };
  }
  const stream = sink as Writable;
  return { write: async (line) => void stream.write(`${JSON.stringify(line)}\n`) };
}

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
 * The audit trail's pseudonymous user id: HMAC-SHA256 of `tenant:oid` under AUDIT_PSEUDONYM_KEY, 16 bytes hex. The admin export looks a user up by it.
 */
export function pseudonymOf(key: Buffer, user: UserRef): string {
  return createHmac('sha256', key).update(`${user.tenantId}:${user.objectId}`).digest('hex').slice(0, 32);
}

/**
 * The default AuditLog (R20): one JSON line per event with UTC time, correlation id, pseudonymous user id
 * (HMAC-SHA256 of tenant:oid under keys.auditPseudonym, 16 bytes hex), method kind, outcome and reason code.
 * Line breaks in any text are escaped; values that look like secrets are redacted.
 */
export class JsonAuditLog implements AuditLog {
  private readonly sinks: readonly AuditLineSink[];

  /**
   * `sink`: one pino logger or stream (stdout), or the configured line sinks (stdout, file, syslog). Every sink gets
   * every event; one failing sink does not keep the line from the others, and does not fail the user's action (the
   * reset already happened): it is reported to `onSinkError` (a metric and an error log).
   */
  constructor(
    sink: AuditSink | readonly AuditLineSink[],
    private readonly pseudonymKey: Buffer,
    private readonly clock: Clock,
    private readonly onSinkError: (index: number, error: unknown) => void = () => undefined,
  ) {
    this.sinks = Array.isArray(sink) ? sink : [toLineSink(sink as AuditSink)];
  }

  pseudonym(user: UserRef): string {
    return pseudonymOf(this.pseudonymKey, user);
  }

  format(event: AuditEvent): AuditLine {
    const line: Record<string, unknown> & { time: string; type: string; outcome: string } = {
      audit: true,
      time: new Date(this.clock.now()).toISOString(),
      type: String(sanitiseValue('type', event.type)),
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
    const results = await Promise.allSettled(this.sinks.map((s) => s.write(line)));
    results.forEach((r, i) => {
      if (r.status === 'rejected') this.onSinkError(i, r.reason);
    });
  }

  /** Flush and close every sink (graceful shutdown). */
  async close(): Promise<void> {
    await Promise.allSettled(this.sinks.map(async (s) => s.close?.()));
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
