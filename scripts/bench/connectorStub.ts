import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/**
 * A local Bot Connector stand-in for the journey scenario: the app's proactive messages (the reset confirmation when
 * the directory is slow, R26; the pages API's "done" message in the chat) are POSTed here and answered like the
 * Connector does ({ id }). It only counts them; nothing is kept.
 */
export class BenchConnector {
  private server: Server | null = null;
  private port = 0;
  /** Activities posted (POST …/activities…). */
  posted = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST' && /\/activities/.test(req.url ?? '')) this.posted++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: randomUUID() }));
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
