import type { Config } from './config';
import type { Logger } from './logger';
import type { AuditLog } from '../domain/ports/auditLog';
import type { Clock } from '../domain/ports/clock';
import type { Directory } from '../domain/ports/directory';
import type { InsightsStore } from '../domain/ports/insightsStore';
import type { MethodStore } from '../domain/ports/methodStore';
import { GetInsights } from '../domain/insights/getInsights';
import { classify } from '../domain/insights/classify';
import { InsightsAuditLog, InsightsRecorder } from '../domain/insights/insightsRecorder';
import { ScanRegistrationCoverage } from '../domain/insights/registrationCoverage';
import { pseudonymOf } from '../adapters/audit/jsonAuditLog';
import { errorCodeOf } from './turnErrors';

/** The admin insights of one app: the store, the decorator every audit event passes, the report, the coverage scan. */
export interface Insights {
  readonly store: InsightsStore;
  readonly report: GetInsights;
  /** Wrap the audit log so every event also adds to the counters. */
  observe(audit: AuditLog): AuditLog;
  /** Resolves when the counters have every event recorded so far. */
  settled(): Promise<void>;
  /** Bound once the method store exists (it is built with the audit log). */
  coverage(directory: Directory, methods: Pick<MethodStore, 'list'>, tenantId?: string): ScanRegistrationCoverage;
  /** The user's pseudonym, as the audit trail writes it. */
  pseudonym: (user: { tenantId: string; objectId: string }) => string;
}

/** The tenant the directory's users belong to (coverage scan, admin look-ups by UPN). */
export function directoryTenant(config: Config): string {
  return config.bot.appTenantId ?? config.bot.allowedTenants[0] ?? '00000000-0000-0000-0000-000000000001';
}

/** The Prometheus business event of an insights counter, if it is one. */
export function businessEvent(field: string): { event: string; kind: string } | null {
  const simple: Record<string, string> = { 'reset.done': 'reset', 'unlock.done': 'unlock', registrations: 'registration', blocks: 'block', throttles: 'throttle' };
  if (simple[field]) return { event: simple[field], kind: '' };
  const m = /^sends:(sms|voice|email)$/.exec(field);
  return m ? { event: 'send', kind: m[1]! } : null;
}

export function createInsights(
  config: Config,
  /** From the state backend (rule 17). */
  store: InsightsStore,
  clock: Clock,
  logger: Logger,
  onError: () => void,
  onBusinessEvent: (e: { event: string; kind: string }) => void = () => undefined,
): Insights {
  const pseudonym = (user: { tenantId: string; objectId: string }): string => pseudonymOf(config.keys.auditPseudonym, user);
  const recorder = new InsightsRecorder({ store, clock, pseudonym });
  const observed: InsightsAuditLog[] = [];
  return {
    store,
    report: new GetInsights({ store, clock }),
    observe: (inner) => {
      // Prometheus business metrics from the same classification as the counters (one mapping of events).
      const audit: AuditLog = {
        record: async (e) => {
          await inner.record(e);
          for (const field of classify(e).counters) {
            const b = businessEvent(field);
            if (b) onBusinessEvent(b);
          }
        },
      };
      const o = new InsightsAuditLog(audit, recorder, clock, (e) => {
        onError();
        logger.warn({ errorCode: errorCodeOf(e), name: (e as Error)?.name }, 'insights counter update failed');
      });
      observed.push(o);
      return o;
    },
    settled: async () => {
      await Promise.all(observed.map((o) => o.settled()));
    },
    coverage: (directory, methods, tenantId) =>
      new ScanRegistrationCoverage({ directory, methods, policy: config.policy, store, clock, tenantId: tenantId ?? directoryTenant(config) }),
    pseudonym,
  };
}
