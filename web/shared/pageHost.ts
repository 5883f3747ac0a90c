/**
 * What every page inside Teams needs: strings from the bot, the caller's identity (Teams SSO token, or the
 * development identity outside Teams in development mode only), JSON calls to the bot's own API, and closing the
 * dialog without any secret.
 */
/**
 * teams-js is loaded only when a Teams (or other Microsoft 365) host frames the page. On load it fetches Microsoft's
 * list of host origins (https://res.cdn.office.net/teams-js/validDomains/json/validDomains.json, allowed by the pages'
 * CSP, see bot/api/pages.ts); a page opened on its own or in the local chat page's overlay never loads it, so it
 * makes no request off this server (the test machines have no internet).
 */
type TeamsJs = typeof import('@microsoft/teams-js');
let teams: TeamsJs | undefined;

export interface PageConfig {
  mode: 'development' | 'production';
  locale: 'en' | 'nl';
  strings: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

const TEAMS_INIT_TIMEOUT_MS = 2500;

export class PageHost {
  private constructor(
    readonly config: PageConfig,
    private readonly inTeams: boolean,
    private readonly devUser: string | null,
  ) {}

  static async start(): Promise<PageHost> {
    const params = new URLSearchParams(location.search);
    const res = await fetch(`/api/pages/config?locale=${encodeURIComponent(params.get('locale') ?? navigator.language)}`);
    const config = (await res.json()) as PageConfig;
    const inTeams = await initTeams();
    // In a dialog the host's title bar already names the page (Teams' dialog header, the local chat page's overlay):
    // the page's own heading is then for screen readers only, so sighted users do not read the same words twice.
    if (framedByThisServer() || (inTeams && (await inTeamsDialog()))) document.documentElement.dataset.inDialog = 'true';
    let devUser: string | null = null;
    if (!inTeams && config.mode === 'development') devUser = devIdentity(params.get('devUser') ?? localStorage.getItem('devchat.devUser') ?? localStorage.getItem('devchat.user'));
    document.documentElement.lang = config.locale;
    return new PageHost(config, inTeams, devUser);
  }

  t(key: string, params: Record<string, string | number> = {}): string {
    const text = this.config.strings[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
  }

  /** Fill every element with data-text="<key>" with its string. */
  applyStrings(root: ParentNode = document): void {
    root.querySelectorAll<HTMLElement>('[data-text]').forEach((el) => {
      el.textContent = this.t(el.dataset.text ?? '');
    });
  }

  async api(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const headers: Record<string, string> = { 'Accept-Language': this.config.locale };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.inTeams && teams) headers.Authorization = `Bearer ${await teams.authentication.getAuthToken()}`;
    else if (this.devUser) headers['X-Dev-User'] = this.devUser;
    const res = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const parsed = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    return { status: res.status, body: parsed };
  }

  /** The localized message for an API error code. */
  errorText(answer: ApiAnswer): string {
    switch (answer.body.error) {
      case 'unauthorized':
        return this.t('web.error.unauthorized');
      case 'temporarily_unavailable':
        return this.t('web.error.unavailable');
      case 'rate_limited':
        return this.t('web.error.rateLimited');
      case 'not_found':
        return this.t('web.error.notFound');
      default:
        return this.t('web.error.generic');
    }
  }

  /** Close the dialog; `result` must never carry a secret (it travels through the Bot Connector). */
  close(result: Record<string, string>): void {
    if (this.inTeams && teams) {
      teams.dialog.url.submit(result);
    } else if (window.parent !== window) {
      window.parent.postMessage({ type: 'devHost.submitDialog', result }, location.origin);
    }
  }
}

/**
 * The development identity as the API takes it, `<tenantId>:<objectId>`; the local chat page's picker stores
 * `<tenantId>/<objectId>`, which is accepted here too.
 */
export function devIdentity(value: string | null): string | null {
  if (!value) return null;
  const m = /^\s*([0-9a-f-]{36})[:/]([0-9a-f-]{36})\s*$/i.exec(value);
  return m ? `${m[1]}:${m[2]}` : null;
}

/** Framed by a page of this same server (the local chat page's dialog overlay), never by Teams (another origin). */
function framedByThisServer(): boolean {
  try {
    return window.parent !== window && window.parent.location.origin === location.origin;
  } catch {
    return false;
  }
}

/** Whether Teams opened this page as a dialog (task module), not as a tab. */
async function inTeamsDialog(): Promise<boolean> {
  try {
    const context = await teams!.app.getContext();
    return context.page.frameContext === teams!.FrameContexts.task;
  } catch {
    return false;
  }
}

async function initTeams(): Promise<boolean> {
  if (window.parent === window && !window.opener) return false;
  // The local chat page is no Teams host: teams-js would wait for it, and fetch its CDN's domain list for nothing.
  if (framedByThisServer()) return false;
  try {
    teams ??= await import('@microsoft/teams-js');
    await Promise.race([
      teams.app.initialize(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no Teams host')), TEAMS_INIT_TIMEOUT_MS)),
    ]);
    return true;
  } catch {
    return false;
  }
}
