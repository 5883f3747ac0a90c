import { closeSync, createReadStream, fstatSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Clock } from '../../domain/ports/clock';
import type { AuditLine, AuditLineSink } from './jsonAuditLog';

export interface JsonlFileAuditSinkOptions {
  /** Folder of the files (created when missing, mode 0700; files 0600). */
  readonly dir: string;
  /** This process's name in file names (several instances may share the folder). Letters, digits, `._-`. */
  readonly instance: string;
  /** Start a new file when the current one would grow past this many bytes. */
  readonly maxBytes: number;
  /** Start a new file when the current one is this old (ms). */
  readonly rotateMs: number;
  /** Delete a finished file once its last line is older than this (ms). */
  readonly retentionMs: number;
  readonly clock: Clock;
}

// audit-<instance>-<start>.jsonl while written; audit-<instance>-<start>--<end>.jsonl once finished.
const NAME_RE = /^audit-([A-Za-z0-9._-]+?)-(\d{8}T\d{9}Z)(?:--(\d{8}T\d{9}Z))?\.jsonl$/;

/** 2026-11-25T09:00:00.000Z → 20261125T090000000Z (sortable, no colons). */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '');
}

function unstamp(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!) : NaN;
}

/** One file of the trail, as its name tells: whose, from when, until when (null while it is written). */
export interface AuditFile {
  readonly name: string;
  readonly instance: string;
  readonly start: number;
  readonly end: number | null;
}

/** The trail's files in a folder, oldest first. */
export function listAuditFiles(dir: string): AuditFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const files: AuditFile[] = [];
  for (const name of names) {
    const m = NAME_RE.exec(name);
    if (!m) continue;
    files.push({ name, instance: m[1]!, start: unstamp(m[2]!), end: m[3] ? unstamp(m[3]) : null });
  }
  return files.sort((a, b) => a.start - b.start || a.name.localeCompare(b.name));
}

/**
 * The audit trail as JSON Lines files (G3): one line per event, a new file when the current one reaches `maxBytes`
 * or `rotateMs`, finished files renamed with their end time and deleted once older than `retentionMs`. Writes are
 * synchronous appends, so a line is on disk (in the page cache) before the action it records is answered. Time comes
 * from the injected clock (tests move it; production: the system clock).
 */
export class JsonlFileAuditSink implements AuditLineSink {
  private fd: number | null = null;
  private current: { name: string; start: number; size: number } | null = null;
  private lastStart: number | null = null;
  private lastPrune = -Infinity;

  constructor(private readonly o: JsonlFileAuditSinkOptions) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(o.instance)) throw new RangeError('instance: letters, digits and ._- only');
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    // A file this instance left open (a crash, a restart) is finished now: it gets its end time.
    const now = o.clock.now();
    for (const f of listAuditFiles(o.dir)) if (f.instance === o.instance && f.end === null) this.finish(f.name, f.start, now);
    this.prune(now);
  }

  async write(line: AuditLine): Promise<void> {
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    const now = this.o.clock.now();
    const c = this.current;
    if (c && (now - c.start >= this.o.rotateMs || (c.size > 0 && c.size + bytes.length > this.o.maxBytes))) this.rotate(now);
    if (!this.current) this.open(now);
    // Retention is checked at least hourly, so a quiet instance that never rotates still deletes old files.
    if (now - this.lastPrune >= 3_600_000) this.prune(now);
    writeSync(this.fd!, bytes);
    this.current!.size += bytes.length;
  }

  /** Finish the current file (it keeps its lines; retention deletes it later). */
  async close(): Promise<void> {
    if (this.current) this.rotate(this.o.clock.now(), false);
  }

  /** The file being written, for tests and the admin guide's examples. */
  currentFile(): string | null {
    return this.current ? join(this.o.dir, this.current.name) : null;
  }

  private open(now: number): void {
    // Two files cannot start in the same millisecond: the new one starts after the one just finished.
    const start = Math.max(now, (this.lastStart ?? -1) + 1);
    const name = `audit-${this.o.instance}-${stamp(start)}.jsonl`;
    this.fd = openSync(join(this.o.dir, name), 'a', 0o600);
    this.current = { name, start, size: fstatSync(this.fd).size };
    this.lastStart = start;
  }

  private rotate(now: number, prune = true): void {
    const c = this.current!;
    closeSync(this.fd!);
    this.fd = null;
    this.current = null;
    this.finish(c.name, c.start, Math.max(now, c.start));
    if (prune) this.prune(now);
  }

  private finish(name: string, start: number, end: number): void {
    renameSync(join(this.o.dir, name), join(this.o.dir, `audit-${this.o.instance}-${stamp(start)}--${stamp(end)}.jsonl`));
  }

  /** Delete finished files (of any instance) whose last line is older than the retention period. */
  private prune(now: number): void {
    this.lastPrune = now;
    const cutoff = now - this.o.retentionMs;
    for (const f of listAuditFiles(this.o.dir)) {
      if (f.end !== null && f.end < cutoff) {
        try {
          unlinkSync(join(this.o.dir, f.name));
        } catch {
          /* another instance deleted it first */
        }
      }
    }
  }
}

/**
 * Read the trail back (the admin export): every line whose `time` is in [from, to], file by file, oldest file first.
 * Lines of several instances are each in their own order; a reader that needs one order sorts by `time`.
 */
export async function* readAuditLines(dir: string, from: number, to: number): AsyncGenerator<AuditLine> {
  for (const f of listAuditFiles(dir)) {
    if (f.start > to || (f.end !== null && f.end < from)) continue;
    const rl = createInterface({ input: createReadStream(join(dir, f.name), { encoding: 'utf8' }), crlfDelay: Infinity });
    try {
      for await (const text of rl) {
        if (!text) continue;
        let line: AuditLine;
        try {
          line = JSON.parse(text) as AuditLine;
        } catch {
          continue; // a torn last line after a crash
        }
        const t = Date.parse(String(line.time));
        if (t >= from && t <= to) yield line;
      }
    } catch (e) {
      // Deleted by retention while being read: the rest of it is gone.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    } finally {
      rl.close();
    }
  }
}
