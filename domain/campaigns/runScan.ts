import type { Clock } from '../ports/clock';
import type { DirectoryUser } from '../ports/directory';
import type { OutboundMessage } from './model';
import type { CampaignLedger, CampaignOutbox, ScanCursorStore, ScanDirectory } from './ports';

/** One campaign's choice for one user: the message, and the "told" record that keeps it from repeating. */
export interface ScanDecision {
  readonly toldKey: string;
  readonly toldTtlMs: number;
  readonly message: OutboundMessage;
}

/** A campaign that looks at every user in scope, a page at a time. */
export interface CampaignScanner {
  /** Cursor name, e.g. "expiry". */
  readonly name: string;
  /** Decide for one page. May read the directory per user; a failure there fails the page (it is read again). */
  decide(users: readonly DirectoryUser[], now: number): Promise<{ readonly decisions: readonly ScanDecision[]; readonly forget?: readonly string[] }>;
}

export type ScanResult =
  | { readonly ok: true; readonly done: boolean; readonly pages: number; readonly queued: number }
  | { readonly ok: false; readonly reason: 'directory_unavailable'; readonly pages: number; readonly queued: number };

export interface RunDirectoryScanDeps {
  readonly directory: Pick<ScanDirectory, 'scanUsers'>;
  readonly cursors: ScanCursorStore;
  readonly ledger: CampaignLedger;
  readonly outbox: CampaignOutbox;
  readonly clock: Clock;
  readonly pageSize: number;
}

/**
 * Runs one campaign over the directory, page by page, resuming from the saved cursor (F23). Per page: decide, drop
 * what was already told, queue, then mark told, then save the cursor. A directory outage stops the pass with the
 * cursor where it was; the next run reads that page again, and the told records make sure nobody on it is reminded
 * twice while nobody after it is skipped. A crash between queueing and marking re-queues the same message ids, which
 * the delivery ledger sends once.
 */
export class RunDirectoryScan {
  constructor(private readonly deps: RunDirectoryScanDeps) {}

  async run(scanner: CampaignScanner, options: { readonly maxPages?: number } = {}): Promise<ScanResult> {
    const d = this.deps;
    const now = d.clock.now();
    let progress = (await d.cursors.load(scanner.name)) ?? { cursor: null, startedAt: now, pages: 0, users: 0 };
    let pages = 0;
    let queued = 0;
    for (;;) {
      let page: Awaited<ReturnType<ScanDirectory['scanUsers']>>;
      let decided: Awaited<ReturnType<CampaignScanner['decide']>>;
      try {
        page = await d.directory.scanUsers(progress.cursor, d.pageSize);
        decided = await scanner.decide(page.users, d.clock.now());
      } catch {
        return { ok: false, reason: 'directory_unavailable', pages, queued };
      }
      const told = await d.ledger.told(decided.decisions.map((x) => x.toldKey));
      const fresh = decided.decisions.filter((_, i) => !told[i]);
      if (fresh.length) await d.outbox.enqueue(fresh.map((x) => x.message));
      for (const [ttl, keys] of groupByTtl(fresh)) await d.ledger.markTold(keys, ttl);
      if (decided.forget?.length) await d.ledger.forget(decided.forget);
      queued += fresh.length;
      pages++;
      progress = { cursor: page.cursor, startedAt: progress.startedAt, pages: progress.pages + 1, users: progress.users + page.users.length };
      if (page.cursor === null) {
        await d.cursors.clear(scanner.name);
        return { ok: true, done: true, pages, queued };
      }
      await d.cursors.save(scanner.name, progress);
      if (options.maxPages !== undefined && pages >= options.maxPages) return { ok: true, done: false, pages, queued };
    }
  }
}

function groupByTtl(decisions: readonly ScanDecision[]): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const x of decisions) m.set(x.toldTtlMs, [...(m.get(x.toldTtlMs) ?? []), x.toldKey]);
  return m;
}
