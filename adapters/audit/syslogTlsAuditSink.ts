import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { connect, type TLSSocket } from 'node:tls';
import type { AuditLine, AuditLineSink } from './jsonAuditLog';

/** Private Enterprise Number in the structured-data ids (32473 is the one RFC 5612 reserves for documentation). */
export const SD_ENTERPRISE = 32473;
const SD_ID = `sspr@${SD_ENTERPRISE}`;
const SD_DETAIL_ID = `ssprDetail@${SD_ENTERPRISE}`;

export interface SyslogFormatOptions {
  /** Syslog facility number (RFC 5424 table 1): 10 = security/authorization (authpriv), 13 = log audit. */
  readonly facility: number;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
}

/** PRINTUSASCII without spaces, bounded (HOSTNAME, APP-NAME, PROCID, MSGID, SD-NAME); '-' when empty. */
function token(s: string, max: number, extraForbidden = ''): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c >= 33 && c <= 126 && !extraForbidden.includes(ch)) out += ch;
    else out += '_';
    if (out.length >= max) break;
  }
  return out || '-';
}

/** PARAM-VALUE escaping (RFC 5424 §6.3.3): `"`, `\` and `]` get a backslash. Line breaks are already escaped (R20). */
function paramValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.replace(/[\\"\]]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ');
}

/** Severity (RFC 5424 table 2): refusals and failures are warnings (4), the rest notices (5). */
function severity(outcome: string): number {
  return outcome === 'failure' || outcome === 'refused' ? 4 : 5;
}

/**
 * One audit line as an RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] BOM+JSON`. The event
 * fields travel twice: as structured data (`sspr@32473`: type, outcome, correlationId, user, methodKind, reason;
 * `ssprDetail@32473`: the detail fields) for SIEM field extraction, and as the JSON line in MSG.
 */
export function formatRfc5424(line: AuditLine, o: SyslogFormatOptions): string {
  const pri = o.facility * 8 + severity(line.outcome);
  const params: string[] = [];
  for (const k of ['type', 'outcome', 'correlationId', 'user', 'methodKind', 'reason'] as const) {
    if (line[k] !== undefined) params.push(`${k}="${paramValue(line[k])}"`);
  }
  let sd = `[${SD_ID} ${params.join(' ')}]`;
  const detail = line.detail && typeof line.detail === 'object' ? Object.entries(line.detail as Record<string, unknown>) : [];
  if (detail.length) sd += `[${SD_DETAIL_ID} ${detail.map(([k, v]) => `${token(k, 32, '= ]"')}="${paramValue(v)}"`).join(' ')}]`;
  const msgId = token(line.type, 32);
  return `<${pri}>1 ${line.time} ${token(o.hostname, 255)} ${token(o.appName, 48)} ${token(o.procId, 128)} ${msgId} ${sd} \uFEFF${JSON.stringify(line)}`;
}

export interface SyslogTlsAuditSinkOptions {
  readonly host: string;
  readonly port: number;
  /** PEM of the CA that signed the receiver's certificate; default: the system's trusted CAs. */
  readonly ca?: string | Buffer;
  /** Client certificate and key (PEM) when the receiver wants mutual TLS. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Name checked against the receiver's certificate (default: host). */
  readonly servername?: string;
  readonly facility?: number;
  readonly appName?: string;
  readonly hostname?: string;
  /** Lines kept while the receiver is unreachable; beyond this the oldest are dropped and counted (default 10,000). */
  readonly maxQueue?: number;
  /** Longest wait between reconnect attempts (default 5 s). */
  readonly maxReconnectDelayMs?: number;
  /** Told once per connection failure (never with the line's content). */
  readonly onError?: (error: Error) => void;
}

/**
 * Syslog over TLS for a SIEM (RFC 5424 messages, RFC 5425 octet-counting framing, certificate checked). Lines are
 * queued and sent in order; while the receiver is away the queue holds up to `maxQueue` lines and reconnects with
 * back-off; what overflows is counted in `stats().dropped` (the JSONL file sink keeps the full trail). `write` never
 * waits for the network, so a SIEM outage never slows or fails a reset.
 */
export class SyslogTlsAuditSink implements AuditLineSink {
  private socket: TLSSocket | null = null;
  private connected = false;
  private readonly queue: Buffer[] = [];
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private sent = 0;
  private dropped = 0;
  private readonly format: SyslogFormatOptions;
  private readonly maxQueue: number;

  constructor(private readonly o: SyslogTlsAuditSinkOptions) {
    this.format = {
      facility: o.facility ?? 10,
      hostname: o.hostname ?? hostname(),
      appName: o.appName ?? 'sspr-bot',
      procId: String(process.pid),
    };
    this.maxQueue = o.maxQueue ?? 10_000;
    this.connect();
  }

  async write(line: AuditLine): Promise<void> {
    if (this.closed) return;
    const msg = Buffer.from(formatRfc5424(line, this.format), 'utf8');
    this.queue.push(Buffer.concat([Buffer.from(`${msg.length} `, 'ascii'), msg]));
    while (this.queue.length > this.maxQueue) {
      this.queue.shift();
      this.dropped++;
    }
    this.flush();
  }

  stats(): { readonly sent: number; readonly queued: number; readonly dropped: number; readonly connected: boolean } {
    return { sent: this.sent, queued: this.queue.length, dropped: this.dropped, connected: this.connected };
  }

  /** Send what is queued (waits up to `timeoutMs` for the connection), then close. */
  async close(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const s = this.socket;
    if (s) await new Promise<void>((resolve) => s.end(() => resolve()));
    s?.destroy();
  }

  private connect(): void {
    if (this.closed) return;
    const socket = connect({
      host: this.o.host,
      port: this.o.port,
      // SNI takes host names only (RFC 6066); an IP address is still checked against the certificate's IP SAN.
      ...(this.o.servername ? { servername: this.o.servername } : isIP(this.o.host) ? {} : { servername: this.o.host }),
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(this.o.ca ? { ca: this.o.ca } : {}),
      ...(this.o.cert ? { cert: this.o.cert } : {}),
      ...(this.o.key ? { key: this.o.key } : {}),
    });
    this.socket = socket;
    socket.setKeepAlive(true, 30_000);
    socket.once('secureConnect', () => {
      this.connected = true;
      this.attempt = 0;
      this.flush();
    });
    let failed = false;
    const fail = (e?: Error): void => {
      if (failed) return;
      failed = true;
      this.connected = false;
      if (e) this.o.onError?.(e);
      socket.destroy();
      if (this.socket === socket) this.socket = null;
      this.scheduleReconnect();
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
    // Receivers never answer; anything read is discarded.
    socket.on('data', () => undefined);
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    const delay = Math.min(100 * 2 ** Math.min(this.attempt++, 6), this.o.maxReconnectDelayMs ?? 5000);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
    this.timer.unref();
  }

  private flush(): void {
    const s = this.socket;
    if (!s || !this.connected) return;
    while (this.queue.length > 0) {
      const frame = this.queue.shift()!;
      s.write(frame);
      this.sent++;
    }
  }
}
