import type { StateBackend } from '../state/stateBackend';
import type { Server } from 'restify';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Insights } from '../insights';
import { directoryTenant } from '../insights';
import type { SsoTokenValidator } from '../auth/ssoToken';
import type { AuditLog } from '../../domain/ports/auditLog';
import type { Clock, RandomSource } from '../../domain/ports/clock';
import type { Directory } from '../../domain/ports/directory';
import { AdminAccess } from '../../domain/insights/adminAccess';
import { ExportAuditTrail } from '../../domain/insights/exportAudit';
import { pseudonymOf } from '../../adapters/audit/jsonAuditLog';
import { readAuditLines } from '../../adapters/audit/jsonlFileAuditSink';
import { createApiKeys } from './helpdesk';
import { createAdminAuth } from './adminAuth';
import { registerAdminInsightsApi } from './adminInsights';
import { registerAdminAuditApi } from './adminAudit';

export interface AdminApiDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly state: Pick<StateBackend, 'limiter' | 'apiKeys'>;
  readonly audit: AuditLog;
  readonly directory: Directory;
  readonly insights: Insights;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly tokens?: SsoTokenValidator;
}

/** The admin API (issue 14): insights and the audit export, behind one authentication and one answer table. */
export function registerAdminApi(server: Server, deps: AdminApiDeps): { readonly access: AdminAccess } {
  const { config } = deps;
  const access = new AdminAccess({ directory: deps.directory, adminGroupIds: config.adminGroupIds });
  const auth = createAdminAuth({
    config,
    logger: deps.logger,
    state: deps.state,
    keys: createApiKeys(config, deps.state.apiKeys, deps.clock, deps.random),
    access,
    ...(deps.tokens ? { tokens: deps.tokens } : {}),
  });
  const keys = [config.keys.auditPseudonym, ...(config.keys.auditPseudonymPrevious ? [config.keys.auditPseudonymPrevious] : [])];
  const dir = config.audit.file.dir;
  const exporter = new ExportAuditTrail({
    archive: config.audit.sinks.includes('file') ? { read: (from, to) => readAuditLines(dir, from, to) } : null,
    directory: deps.directory,
    pseudonyms: (user) => keys.map((k) => pseudonymOf(k, user)),
  });
  const common = { auth, audit: deps.audit, logger: deps.logger, clock: deps.clock, pseudonym: deps.insights.pseudonym };
  registerAdminInsightsApi(server, { ...common, report: deps.insights.report });
  registerAdminAuditApi(server, { ...common, exporter, tenantId: directoryTenant(config) });
  return { access };
}
