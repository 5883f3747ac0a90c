import { assessMethods } from '../methods/methodPolicy';
import type { Policy } from '../policy/policy';
import type { Clock } from '../ports/clock';
import type { Directory } from '../ports/directory';
import type { CoverageSnapshot, InsightsStore } from '../ports/insightsStore';
import type { MethodStore } from '../ports/methodStore';

export interface RegistrationCoverageDeps {
  readonly directory: Directory;
  readonly methods: Pick<MethodStore, 'list'>;
  readonly policy: Policy;
  readonly store: InsightsStore;
  readonly clock: Clock;
  /** The tenant of the directory's users (their UserRef). */
  readonly tenantId: string;
  readonly pageSize?: number;
}

/**
 * Registration coverage (issue 14): a paged scan of the users in scope (Directory.scanUsers) counting who could reset
 * today — confirmed methods meeting the reset policy as the reset itself judges them (R4, privileged users R3) — and
 * who has a method of each kind. Disabled accounts are not counted. The snapshot is stored for the Insights page.
 */
export class ScanRegistrationCoverage {
  constructor(private readonly deps: RegistrationCoverageDeps) {}

  async execute(): Promise<CoverageSnapshot> {
    const { directory, methods, policy, tenantId } = this.deps;
    let usersInScope = 0;
    let enoughMethods = 0;
    let anyMethod = 0;
    const byKind: Record<string, number> = {};
    let cursor: string | null = null;
    do {
      const page = await directory.scanUsers(cursor, this.deps.pageSize ?? 200);
      for (const u of page.users) {
        if (!u.enabled) continue;
        usersInScope++;
        const confirmed = (await methods.list({ tenantId, objectId: u.objectId })).filter((m) => m.confirmedAt !== null);
        if (confirmed.length) anyMethod++;
        if (assessMethods(confirmed, policy, { privileged: u.privileged }).enough) enoughMethods++;
        for (const kind of new Set(confirmed.map((m) => m.kind))) byKind[kind] = (byKind[kind] ?? 0) + 1;
      }
      cursor = page.cursor;
    } while (cursor !== null);
    const snapshot: CoverageSnapshot = { at: this.deps.clock.now(), usersInScope, enoughMethods, anyMethod, byKind };
    await this.deps.store.saveCoverage(snapshot);
    return snapshot;
  }
}
