import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';

/** A throwaway self-signed certificate for localhost / 127.0.0.1, made with the system's openssl. */
export function selfSignedCert(cn = 'localhost'): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sspr-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn},IP:127.0.0.1`,
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch (e) {
    throw new Error(`openssl is needed for the TLS tests (apt-get install -y openssl): ${(e as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One RFC 5424 message as received. */
export interface SyslogMessage {
  readonly raw: string;
  readonly pri: number;
  readonly version: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  /** SD-ID → params */
  readonly sd: Record<string, Record<string, string>>;
  readonly msg: string;
}

/** Parse an RFC 5424 message (what a SIEM's parser does); throws on a malformed one. */
export function parseRfc5424(raw: string): SyslogMessage {
  const head = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(raw);
  if (!head) throw new Error(`not RFC 5424: ${raw.slice(0, 80)}`);
  let i = head[0].length;
  const sd: Record<string, Record<string, string>> = {};
  if (raw[i] === '-') i += 1;
  else {
    while (raw[i] === '[') {
      i++;
      const id = /^[^ \]]+/.exec(raw.slice(i))?.[0] ?? '';
      i += id.length;
      const params: Record<string, string> = {};
      while (raw[i] === ' ') {
        i++;
        const eq = raw.indexOf('=', i);
        const name = raw.slice(i, eq);
        if (raw[eq + 1] !== '"') throw new Error('param value must be quoted');
        let j = eq + 2;
        let value = '';
        while (raw[j] !== '"') {
          if (raw[j] === '\\' && ['"', '\\', ']'].includes(raw[j + 1]!)) {
            value += raw[j + 1];
            j += 2;
          } else value += raw[j++];
          if (j >= raw.length) throw new Error('unterminated param value');
        }
        params[name] = value;
        i = j + 1;
      }
      if (raw[i] !== ']') throw new Error('unterminated SD element');
      i++;
      sd[id] = params;
    }
  }
  let msg = raw[i] === ' ' ? raw.slice(i + 1) : '';
  if (msg.startsWith('\uFEFF')) msg = msg.slice(1);
  return {
    raw,
    pri: Number(head[1]),
    version: Number(head[2]),
    timestamp: head[3]!,
    hostname: head[4]!,
    appName: head[5]!,
    procId: head[6]!,
    msgId: head[7]!,
    sd,
    msg,
  };
}

/** An in-process syslog-over-TLS receiver (RFC 5425 octet counting) with a self-signed certificate. */
export class SyslogTlsReceiver {
  readonly messages: SyslogMessage[] = [];
  readonly raw: string[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<TLSSocket>();
  port = 0;

  constructor(readonly tls: { key: string; cert: string } = selfSignedCert()) {}

  async start(port = 0): Promise<void> {
    this.server = createServer({ key: this.tls.key, cert: this.tls.cert }, (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
          const sp = buf.indexOf(0x20);
          if (sp < 0) break;
          const len = Number(buf.subarray(0, sp).toString('ascii'));
          if (!Number.isInteger(len) || len <= 0) throw new Error('bad octet count');
          if (buf.length < sp + 1 + len) break;
          const text = buf.subarray(sp + 1, sp + 1 + len).toString('utf8');
          buf = buf.subarray(sp + 1 + len);
          this.raw.push(text);
          this.messages.push(parseRfc5424(text));
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port || this.port, '127.0.0.1', () => resolve()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }

  async waitFor(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (Date.now() > deadline) throw new Error(`syslog receiver got ${this.messages.length} of ${count} messages`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = null;
  }
}
