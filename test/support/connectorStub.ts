import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { recordTranscript } from './transcript';

export interface RecordedCall {
  method: string;
  path: string;
  body: any;
}

/**
 * A local Bot Connector stand-in: records what the bot sends (POST …/activities, PUT for card updates) and answers
 * roster look-ups (GET …/members/:id). The real Connector cannot be reached from here.
 */
export class ConnectorStub {
  readonly calls: RecordedCall[] = [];
  private server: Server | null = null;
  port = 0;
  /** Members by user id for TeamsInfo.getMember; unknown ids get 404. */
  readonly members = new Map<string, Record<string, unknown>>();
  /** Answer with this status to activity posts (e.g. 429, 403) when set. */
  failWith: { status: number; body?: unknown; times: number } | null = null;
  /** While set, activity posts are recorded at once but answered only when this promise settles (a slow connector). */
  hold: Promise<unknown> | null = null;

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  get activities(): any[] {
    return this.calls.filter((c) => c.method === 'POST' && /\/activities/.test(c.path)).map((c) => c.body);
  }

  /** The Action.Submit data of every card posted to this conversation (a card's buttons, as Teams posts them back). */
  submitsTo(conversationId: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const walk = (o: unknown): void => {
      if (!o || typeof o !== 'object') return;
      const r = o as Record<string, unknown>;
      if (r.type === 'Action.Submit' && r.data && typeof r.data === 'object') out.push(r.data as Record<string, unknown>);
      Object.values(r).forEach(walk);
    };
    for (const a of this.activities) if (a?.conversation?.id === conversationId) walk(a.attachments);
    return out;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0] ?? '';
    let body: any = undefined;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    this.calls.push({ method: req.method ?? '', path, body });
    const json = (status: number, o: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(o));
    };
    const member = /\/v3\/conversations\/[^/]+\/members\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && member) {
      const m = this.members.get(decodeURIComponent(member[1]!));
      return m ? json(200, m) : json(404, { error: { code: 'MemberNotFoundInConversation', message: 'not found' } });
    }
    if (/\/activities/.test(path) && (req.method === 'POST' || req.method === 'PUT')) {
      if (this.hold) await this.hold.catch(() => undefined);
      if (this.failWith && this.failWith.times > 0) {
        this.failWith.times--;
        return json(this.failWith.status, this.failWith.body ?? {});
      }
      // R35: every activity the bot sends or updates goes to the run's transcript (scanned after the run).
      const put = req.method === 'PUT' ? /\/activities\/([^/]+)$/.exec(path) : null;
      const id = put ? decodeURIComponent(put[1]!) : randomUUID();
      recordTranscript('connector', put ? 'put' : 'post', body, id);
      return json(200, { id });
    }
    if (req.method === 'POST' && /\/v3\/conversations\/?$/.test(path)) {
      // A new conversation may carry its first activity.
      if (body && typeof body === 'object' && body.activity) recordTranscript('connector', 'post', body.activity, randomUUID());
      return json(200, { id: `a:${randomUUID()}` });
    }
    json(404, {});
  }

  clear(): void {
    this.calls.length = 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
