import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Request, Response, Server } from 'restify';
import type { Config } from '../config';
import { catalogKeys, resolveLocale, t } from '../../locales';
import type { ApiKit } from './http';

/** The pages served under /app/ (folders of dist/web). */
export const PAGES = ['password', 'authenticator', 'security-info', 'insights', 'shared'] as const;
export type PageName = 'password' | 'authenticator' | 'security-info';

const TEAMS_FRAME_ANCESTORS = 'https://teams.microsoft.com https://*.teams.microsoft.com https://*.cloud.microsoft';

/**
 * The one address off this server the pages may fetch: the list of Microsoft 365 host origins that teams-js keeps on
 * Microsoft's CDN. teams-js accepts a host's postMessage only from an origin on that list; it ships a copy of the list
 * and uses it when the fetch fails, so blocking it only shows as a CSP error, until Microsoft adds a host origin after
 * our teams-js release: that host's messages would then be ignored and the dialog would not start. Allowed as this
 * exact URL (a CSP source with a path matches that path only), not the whole CDN host. The pages load teams-js, and so
 * fetch it, only when a Teams host frames them (web/shared/pageHost.ts). docs/admin-guide.md, "Dialog pages and CSP".
 */
export const TEAMS_JS_VALID_DOMAINS = 'https://res.cdn.office.net/teams-js/validDomains/json/validDomains.json';

/** The pages' Content-Security-Policy; development adds 'self' and localhost so the dev chat overlay can frame them. */
export function pagesCsp(mode: Config['mode']): string {
  const ancestors = mode === 'development' ? `'self' http://localhost:* http://127.0.0.1:* ${TEAMS_FRAME_ANCESTORS}` : TEAMS_FRAME_ANCESTORS;
  return [
    "default-src 'self'",
    "script-src 'self'",
    `connect-src 'self' ${TEAMS_JS_VALID_DOMAINS}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${ancestors}`,
  ].join('; ');
}

export function findPagesRoot(): string | undefined {
  const candidates = [resolve(__dirname, '..', '..', 'web'), resolve(process.cwd(), 'dist', 'web')];
  return candidates.find((dir) => existsSync(join(dir, 'password', 'main.js')));
}

/** Absolute URL of a page under the public base URL, e.g. `https://sspr.contoso.com/app/password/?flowId=…`. */
export function pageUrlFor(baseUrl: string, page: PageName, params: Readonly<Record<string, string>> = {}): string {
  const qs = new URLSearchParams(params).toString();
  return `${baseUrl.replace(/\/+$/, '')}/app/${page}/${qs ? `?${qs}` : ''}`;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** `/app/<page>/…` from dist/web (framed by Teams only, CSP), and `/api/pages/config` (strings; no identity). */
export function registerPageRoutes(server: Server, kit: ApiKit, config: Config, webRoot: string | undefined): void {
  const csp = pagesCsp(config.mode);
  server.get('/app/*', async (req: Request, res: Response) => {
    const rel = ((req.params as Record<string, string | undefined>)['*'] ?? '').replace(/\/$/, '/index.html') || 'index.html';
    const first = rel.split('/')[0] ?? '';
    const file = webRoot && (PAGES as readonly string[]).includes(first) && !rel.includes('\0') ? resolve(webRoot, rel.endsWith('/') ? `${rel}index.html` : rel) : undefined;
    const inside = file && webRoot ? file.startsWith(resolve(webRoot) + sep) : false;
    const content = file && inside ? await readFile(file).catch(() => undefined) : undefined;
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (!file || !content) {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.sendRaw(404, 'Not found\n');
      return;
    }
    res.setHeader('Content-Type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Cache-Control', 'no-cache');
    res.sendRaw(200, content);
  });

  const webKeys = catalogKeys('en').filter((k) => k.startsWith('web.') || k.startsWith('password.reason.') || k.startsWith('password.advice.'));
  server.get(
    '/api/pages/config',
    kit.handle(async (req, res) => {
      const q = (req.query as Record<string, unknown> | undefined)?.locale;
      const locale = resolveLocale(typeof q === 'string' ? q : req.header('accept-language')?.split(',')[0]);
      const strings: Record<string, string> = {};
      for (const k of webKeys) strings[k] = t(locale, k);
      res.send(200, { mode: config.mode, locale, strings, ssoAppId: config.teams.ssoAppId ?? null });
    }),
  );
}
