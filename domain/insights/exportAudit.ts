import type { Result } from '../errors';
import { fail, ok } from '../errors';
import type { UserRef } from '../model/user';
import type { ArchivedAuditLine, AuditArchive } from '../ports/auditArchive';
import type { Directory } from '../ports/directory';

export type ExportRefusal = 'range_invalid' | 'range_too_long' | 'user_unknown' | 'archive_not_configured';

export interface ExportAuditDeps {
  /** Null when no file sink is configured: nothing to read back. */
  readonly archive: AuditArchive | null;
  readonly directory: Pick<Directory, 'findByPrincipalName'>;
  /** The trail's pseudonym of a user under each configured key (current first, then the one before a rotation). */
  readonly pseudonyms: (user: UserRef) => readonly string[];
  readonly maxDays?: number;
}

export interface ExportAuditQuery {
  readonly from: number;
  readonly to: number;
  /** An object id (GUID) or a UPN / e-mail; absent = every user. */
  readonly user?: string;
  /** The tenant the user belongs to (the admin's own). */
  readonly tenantId: string;
  /** Only the lines of one event (its correlation id). */
  readonly correlationId?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The audit export (issue 14, G3): the trail's lines of a time range, optionally of one account — found by its
 * pseudonym, since the trail never holds an object id or UPN (R20). A UPN is resolved through the directory.
 */
export class ExportAuditTrail {
  constructor(private readonly deps: ExportAuditDeps) {}

  async execute(q: ExportAuditQuery): Promise<Result<AsyncIterable<ArchivedAuditLine>, ExportRefusal>> {
    if (!Number.isFinite(q.from) || !Number.isFinite(q.to) || q.from > q.to) return fail('range_invalid');
    if (q.to - q.from > (this.deps.maxDays ?? 400) * 86_400_000) return fail('range_too_long');
    const archive = this.deps.archive;
    if (!archive) return fail('archive_not_configured');
    let wanted: ReadonlySet<string> | null = null;
    if (q.user !== undefined) {
      const name = q.user.trim();
      let objectId: string | null = null;
      if (GUID.test(name)) objectId = name.toLowerCase();
      else if (name.includes('@')) objectId = (await this.deps.directory.findByPrincipalName(name))?.objectId.toLowerCase() ?? null;
      if (!objectId) return fail('user_unknown');
      wanted = new Set(this.deps.pseudonyms({ tenantId: q.tenantId.toLowerCase(), objectId }));
    }
    const filter = wanted;
    const ref = q.correlationId;
    return ok(
      (async function* lines(): AsyncGenerator<ArchivedAuditLine> {
        for await (const line of archive.read(q.from, q.to)) {
          if (filter && !(typeof line.user === 'string' && filter.has(line.user))) continue;
          if (ref !== undefined && line.correlationId !== ref) continue;
          yield line;
        }
      })(),
    );
  }
}
