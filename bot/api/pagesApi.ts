import type { Request, Response, Server } from 'restify';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Services } from '../services';
import type { TeamsSender } from '../teamsSender';
import type { ConversationRefStore } from '../../domain/ports/conversationRefs';
import { SsoTokenValidator } from '../auth/ssoToken';
import { securityInfoUseCases } from '../securityInfoJourney';
import type { EnrolmentTickets } from '../../adapters/enrolmentTickets';
import type { StateBackend } from '../state/stateBackend';
import { registerEnrolmentRoutes } from './enrolments';
import { createApiKit } from './http';
import { registerMethodRoutes } from './methods';
import { findPagesRoot, pageUrlFor, registerPageRoutes, type PageName } from './pages';
import { registerPasswordRoutes } from './password';
import { registerStepUpRoutes } from './stepUp';

export { MAX_API_BODY_BYTES } from './http';
export { PAGES, findPagesRoot, pageUrlFor, pagesCsp } from './pages';

export interface PagesApiDeps {
  readonly config: Config;
  readonly services: Services;
  readonly logger: Logger;
  /** Enrolment tickets and rate limiters (rule 17: the state backend's). */
  readonly state: Pick<StateBackend, 'enrolments' | 'limiter'>;
  readonly refs: ConversationRefStore;
  /** Proactive outcome messages in the user's 1:1 chat. */
  readonly sender: TeamsSender;
  /** Validator override (tests pass one with a local JWKS). */
  readonly tokens?: SsoTokenValidator;
  /** Enrolment tickets override; default the state backend's. */
  readonly enrolments?: EnrolmentTickets;
  /** dist/web; default: found next to the compiled server or under the working directory. */
  readonly webRoot?: string;
  /** Per-user requests per minute (default 60) and writes per 10 minutes (default 10). */
  readonly limits?: { readonly perMinute?: number; readonly writesPer10Minutes?: number };
}

/** What registerPagesApi gives back to the composition root (the journeys open the pages with these). */
export interface PagesApi {
  readonly enrolments: EnrolmentTickets;
  /** Absolute URL of a page, e.g. pageUrl('password', { flowId }). */
  pageUrl(page: PageName, params?: Readonly<Record<string, string>>): string;
}

/**
 * The pages inside Teams (`/app/<page>/`) and the API they call (`/api/…`), one file per resource: pages, password,
 * enrolments, methods, step-up. Each route parses, calls one use-case (the same the chat calls, rule 16) and maps the
 * Result through the one refusal table (refusals.ts). Passwords, codes and tokens are never logged, stored or echoed.
 */
export function registerPagesApi(server: Server, deps: PagesApiDeps): PagesApi {
  const { config, services, logger } = deps;
  const tokens =
    deps.tokens ??
    (config.teams.ssoAppId
      ? new SsoTokenValidator({
          ssoAppId: config.teams.ssoAppId,
          publicBaseUrl: config.publicBaseUrl,
          allowedTenants: config.bot.allowedTenants,
          jwksUrl: config.teams.jwksUrl,
          allowedClientIds: config.ssoAllowedClientIds,
        })
      : undefined);
  const tickets = deps.enrolments ?? deps.state.enrolments;
  const kit = createApiKit({ config, logger, state: deps.state, tokens, ...(deps.limits ? { limits: deps.limits } : {}) });
  const useCases = securityInfoUseCases(services);

  // Errors raised by restify's own body parser (malformed JSON, too large) get the same JSON shape on /api/ routes.
  server.on('restifyError', (req: Request, _res: Response, err: { statusCode?: number; toJSON?: () => unknown }, cb: () => void) => {
    const path = req.path?.() ?? '';
    if (path.startsWith('/api/') && path !== '/api/messages') {
      const status = err.statusCode ?? 500;
      const code = { 413: 'payload_too_large', 400: 'invalid_body', 415: 'unsupported_media_type', 404: 'not_found', 405: 'method_not_allowed' }[status] ?? 'internal';
      err.toJSON = () => ({ error: code });
    }
    cb();
  });

  registerPageRoutes(server, kit, config, deps.webRoot ?? findPagesRoot());
  registerPasswordRoutes(server, kit, { services, logger, refs: deps.refs, sender: deps.sender });
  registerEnrolmentRoutes(server, kit, { config, services, tickets, useCases });
  registerMethodRoutes(server, kit, { useCases, methods: services.security.methods, policy: config.policy, clock: services.clock });
  registerStepUpRoutes(server, kit, useCases);
  return { enrolments: tickets, pageUrl: (page, params) => pageUrlFor(config.publicBaseUrl, page, params) };
}
