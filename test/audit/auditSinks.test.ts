import { existsSync, readdirSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { JsonAuditLog } from '../../adapters/audit/jsonAuditLog';
import { JsonlFileAuditSink, listAuditFiles, readAuditLines } from '../../adapters/audit/jsonlFileAuditSink';
import { formatRfc5424, SyslogTlsAuditSink } from '../../adapters/audit/syslogTlsAuditSink';
import { createLogger } from '../../bot/logger';
import type { AuditEvent } from '../../domain/ports/auditLog';
import { FixedClock } from '../support/fixedClock';
import { parseRfc5424, SyslogTlsReceiver } from '../support/syslogReceiver';

const KEY = Buffer.alloc(32, 3);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MEGAN = { tenantId: 't1', objectId: '6e7b768e-07e2-4810-8459-485f84f8f204' };

function event(i: number, extra: Partial<AuditEvent> = {}): AuditEvent {
  return { type: 'code.send', correlationId: `c${i}`, user: MEGAN, methodKind: 'mobilePhone', outcome: 'success', detail: { channel: 'sms', to: '•••••••••78' }, ...extra };
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

describe('audit trail sinks (issue 14, R20)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sspr-audit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('R20: a line through the pino logger (stdout) carries one `time` key, not two', async () => {
    const out = new Capture();
    const log = new JsonAuditLog(createLogger('info', out).child({ stream: 'audit' }), KEY, new FixedClock());
    await log.record(event(1));
    const line = out.text.trim();
    expect(line.match(/"time":/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ audit: true, stream: 'audit', type: 'code.send', outcome: 'success' });
  });

  test('G3: the JSONL file sink rotates by size and by time, names files by start and end, and reads back by range', async () => {
    const clock = new FixedClock(Date.UTC(2026, 10, 1, 0, 0, 0));
    const sink = new JsonlFileAuditSink({ dir, instance: 'bot-a', maxBytes: 1200, rotateMs: 6 * HOUR, retentionMs: 30 * DAY, clock });
    const log = new JsonAuditLog([sink], KEY, clock);
    for (let i = 0; i < 10; i++) {
      await log.record(event(i));
      clock.advance(60_000);
    }
    // ~300 bytes a line, 1200 bytes a file → several files, each ≤ 1200 bytes, every line once.
    const bySize = listAuditFiles(dir);
    expect(bySize.length).toBeGreaterThanOrEqual(3);
    for (const f of bySize) expect(readFileSync(join(dir, f.name)).length).toBeLessThanOrEqual(1200);
    expect(bySize.filter((f) => f.end === null)).toHaveLength(1);
    const all = bySize.flatMap((f) => readFileSync(join(dir, f.name), 'utf8').trim().split('\n'));
    expect(all.map((l) => JSON.parse(l).correlationId)).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`));

    // Time rotation: 6 hours later the next line starts a new file even though the current one has room.
    const before = listAuditFiles(dir).length;
    clock.advance(6 * HOUR);
    await log.record(event(10));
    expect(listAuditFiles(dir)).toHaveLength(before + 1);

    const from = Date.UTC(2026, 10, 1, 0, 3, 0);
    const to = Date.UTC(2026, 10, 1, 0, 5, 0);
    const read: string[] = [];
    for await (const l of readAuditLines(dir, from, to)) read.push(String(l.correlationId));
    expect(read).toEqual(['c3', 'c4', 'c5']);
  });

  test('G3: files are deleted after the retention period (injected clock), the file being written never', async () => {
    const clock = new FixedClock(Date.UTC(2026, 0, 1));
    const sink = new JsonlFileAuditSink({ dir, instance: 'bot-a', maxBytes: 10_000_000, rotateMs: DAY, retentionMs: 7 * DAY, clock });
    const log = new JsonAuditLog([sink], KEY, clock);
    for (let d = 0; d < 10; d++) {
      await log.record(event(d));
      clock.advance(DAY);
    }
    // Day 9's line is in the newest file; the first rotation on day 9 (at 10 days) prunes files that ended > 7 days ago.
    await log.record(event(99));
    const files = listAuditFiles(dir);
    const cutoff = clock.now() - 7 * DAY;
    expect(files.every((f) => f.end === null || f.end >= cutoff)).toBe(true);
    const kept: string[] = [];
    for await (const l of readAuditLines(dir, 0, clock.now())) kept.push(String(l.correlationId));
    expect(kept).not.toContain('c0');
    expect(kept).not.toContain('c1');
    expect(kept).toContain('c4');
    expect(kept).toContain('c99');
    // Another instance sharing the folder: its old finished files go too; a restart finishes this instance's open file.
    await sink.close();
    const again = new JsonlFileAuditSink({ dir, instance: 'bot-a', maxBytes: 10_000_000, rotateMs: DAY, retentionMs: 7 * DAY, clock });
    expect(listAuditFiles(dir).filter((f) => f.end === null)).toHaveLength(0);
    expect(again.currentFile()).toBeNull();
    clock.advance(30 * DAY);
    await new JsonAuditLog([again], KEY, clock).record(event(100));
    expect(readdirSync(dir)).toHaveLength(1);
  });

  test('R20: RFC 5424 formatting: PRI from facility and outcome, structured data escaped, MSG is the JSON line', () => {
    const clock = new FixedClock(Date.UTC(2026, 10, 25, 9, 0, 0));
    const log = new JsonAuditLog([], KEY, clock);
    const line = log.format(event(1, { outcome: 'refused', reason: 'throttled', detail: { note: 'a "quoted" ] \\ value', channel: 'sms' } }));
    const raw = formatRfc5424(line, { facility: 10, hostname: 'bot host', appName: 'sspr-bot', procId: '42' });
    const m = parseRfc5424(raw);
    expect(m).toMatchObject({ pri: 10 * 8 + 4, version: 1, timestamp: '2026-11-25T09:00:00.000Z', hostname: 'bot_host', appName: 'sspr-bot', procId: '42', msgId: 'code.send' });
    expect(m.sd['sspr@32473']).toEqual({ type: 'code.send', outcome: 'refused', correlationId: 'c1', user: log.pseudonym(MEGAN), methodKind: 'mobilePhone', reason: 'throttled' });
    expect(m.sd['ssprDetail@32473']).toEqual({ note: 'a "quoted" ] \\ value', channel: 'sms' });
    expect(JSON.parse(m.msg)).toEqual(line);
  });
});

describe('syslog over TLS to an in-process receiver with a self-signed certificate (issue 14)', () => {
  let receiver: SyslogTlsReceiver;
  beforeEach(async () => {
    receiver = new SyslogTlsReceiver();
    await receiver.start();
  });
  afterEach(async () => receiver.stop());

  test('R20: RFC 5424 lines with the event fields arrive over TLS, in order; a receiver restart loses nothing queued', async () => {
    const clock = new FixedClock();
    const sink = new SyslogTlsAuditSink({ host: '127.0.0.1', servername: 'localhost', port: receiver.port, ca: receiver.tls.cert, maxReconnectDelayMs: 100 });
    const log = new JsonAuditLog([sink], KEY, clock);
    for (let i = 0; i < 3; i++) await log.record(event(i));
    await receiver.waitFor(3);
    expect(receiver.messages.map((m) => m.sd['sspr@32473']?.correlationId)).toEqual(['c0', 'c1', 'c2']);
    const first = receiver.messages[0]!;
    expect(first.pri).toBe(10 * 8 + 5);
    expect(first.sd['sspr@32473']).toMatchObject({ type: 'code.send', outcome: 'success', methodKind: 'mobilePhone', user: log.pseudonym(MEGAN) });
    expect(JSON.parse(first.msg)).toMatchObject({ type: 'code.send', correlationId: 'c0', time: new Date(clock.now()).toISOString() });

    // The receiver goes away: lines are queued, then delivered after it is back on the same port.
    const port = receiver.port;
    await receiver.stop();
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 3; i < 6; i++) await log.record(event(i));
    expect(sink.stats().queued).toBeGreaterThan(0);
    const back = new SyslogTlsReceiver(receiver.tls);
    await back.start(port);
    await back.waitFor(3);
    expect(back.messages.map((m) => m.sd['sspr@32473']?.correlationId)).toEqual(['c3', 'c4', 'c5']);
    await sink.close();
    await back.stop();
  });

  test('R36: a receiver whose certificate is not trusted gets nothing', async () => {
    const errors: string[] = [];
    const sink = new SyslogTlsAuditSink({ host: '127.0.0.1', port: receiver.port, onError: (e) => errors.push((e as NodeJS.ErrnoException).code ?? e.message), maxReconnectDelayMs: 100 });
    await new JsonAuditLog([sink], KEY, new FixedClock()).record(event(1));
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.messages).toHaveLength(0);
    expect(errors.some((c) => /SELF_SIGNED|UNABLE|CERT/.test(c))).toBe(true);
    await sink.close(50);
  });
});

test('the file sink refuses an instance name that could leave its folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sspr-audit-'));
  expect(() => new JsonlFileAuditSink({ dir, instance: '../x', maxBytes: 1, rotateMs: 1, retentionMs: 1, clock: new FixedClock() })).toThrow(RangeError);
  expect(existsSync(dir)).toBe(true);
  rmSync(dir, { recursive: true, force: true });
});
