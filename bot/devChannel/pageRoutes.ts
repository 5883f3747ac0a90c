import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import type { Request, Response, Server } from 'restify';
import { catalogKeys, resolveLocale, t } from '../../locales';
import type { DevChannelContext } from './registerDevChannel';
import { param, query } from './http';
import { DEV_BOT_NAME } from './teamsActivity';

/** Everything from this origin, nothing from the internet; Web Chat injects its styles at run time. */
export const DEVCHAT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Assets may be framed by this origin (the dialog overlay); the page itself may not be framed at all. */
const ASSET_CSP = DEVCHAT_CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'");

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** dist/web next to the compiled server, or dist/web under the working directory (when run from sources). */
export function findWebRoot(): string | undefined {
  const candidates = [resolve(__dirname, '..', '..', 'web'), resolve(process.cwd(), 'dist', 'web')];
  return candidates.find((dir) => existsSync(join(dir, 'devchat', 'main.js')));
}

/** Web Chat's full bundle (with the Adaptive Cards renderer) from node_modules. */
export function findWebChatBundle(): string | undefined {
  try {
    const file = join(dirname(require.resolve('botframework-webchat')), '..', 'dist', 'webchat.js');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The page (`/`, `/devchat/*`) and its JSON helpers (`/devchannel/config`, `/devchannel/outbox`). */
export function registerPageRoutes(server: Server, ctx: DevChannelContext): void {
  const webRoot = ctx.deps.webRoot ?? findWebRoot();
  const devchatRoot = webRoot ? resolve(webRoot, 'devchat') : undefined;
  const webChatBundle = findWebChatBundle();
  const stringKeys = catalogKeys('en').filter((k) => k.startsWith('devchat.'));

  const pageHeaders = (res: Response, type: string, csp = DEVCHAT_CSP): void => {
    res.setHeader('Content-Type', type);
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-cache');
  };

  const sendFile = async (res: Response, file: string | undefined): Promise<void> => {
    const body = file ? await readFile(file).catch(() => undefined) : undefined;
    if (!file || !body) {
      res.send(404, { error: { code: 'NotFound', message: 'Not found.' } });
      return;
    }
    pageHeaders(res, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', ASSET_CSP);
    res.sendRaw(200, body);
  };

  server.get('/', async (_req: Request, res: Response) => {
    if (!devchatRoot || !existsSync(join(devchatRoot, 'index.html'))) {
      pageHeaders(res, 'text/plain; charset=utf-8');
      res.sendRaw(503, 'The development chat page is not built yet. Run `npm run build` (or `node scripts/buildWeb.js`) and reload.\n');
      return;
    }
    pageHeaders(res, 'text/html; charset=utf-8');
    res.sendRaw(200, readFileSync(join(devchatRoot, 'index.html')));
  });

  server.get('/devchat/*', async (req: Request, res: Response) => {
    const rel = param(req, '*');
    if (rel === 'vendor/webchat.js') {
      await sendFile(res, webChatBundle);
      return;
    }
    if (!devchatRoot) {
      await sendFile(res, undefined);
      return;
    }
    const file = resolve(devchatRoot, rel);
    await sendFile(res, file.startsWith(devchatRoot + sep) && !rel.includes('\0') ? file : undefined);
  });

  server.get('/devchannel/config', async (req: Request, res: Response) => {
    const locale = resolveLocale(query(req, 'locale'));
    const strings: Record<string, string> = {};
    for (const key of stringKeys) strings[key] = t(locale, key);
    const describe = ctx.deps.describeUser;
    const users = await Promise.all(
      ctx.deps.demoUsers().map(async (u) => ({ ...u, states: describe ? await describe(u).catch(() => []) : [] })),
    );
    res.setHeader('Cache-Control', 'no-store');
    res.send(200, { locale, botName: DEV_BOT_NAME, users, strings });
  });

  // `?user=<tenantId>:<objectId>`: only that demo user's messages (and any the senders could not attribute).
  server.get('/devchannel/outbox', async (req: Request, res: Response) => {
    const user = query(req, 'user');
    const items = ctx.deps.listOutbox().filter((i) => !user || i.user === undefined || i.user === user.toLowerCase());
    res.setHeader('Cache-Control', 'no-store');
    res.send(200, { items });
  });

  // Development only: lets a tester (and the npm start end-to-end test) check that the demo directory accepts a
  // password, as signing in would. Counts as a sign-in attempt (wrong passwords lock the demo user, as in real life).
  server.post('/devchannel/directory/verify', async (req: Request, res: Response) => {
    const body = req.body as { objectId?: unknown; password?: unknown } | undefined;
    const verify = ctx.deps.verifyPassword;
    if (!verify || typeof body?.objectId !== 'string' || typeof body.password !== 'string' || body.password.length > 1024) {
      res.send(400, { error: 'invalid_request' });
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.send(200, { accepted: await verify(body.objectId, body.password) });
  });
}
