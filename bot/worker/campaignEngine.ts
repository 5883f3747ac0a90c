import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { OutboundMessage } from '../../domain/campaigns/model';
import type { CampaignOutbox } from '../../domain/campaigns/ports';
import type { CampaignScanner, RunDirectoryScan, ScanResult } from '../../domain/campaigns/runScan';
import type { DeliveryOutcome, DeliveryProcessor } from './delivery';
import { DELIVERY_QUEUE, SCAN_QUEUE } from './queues';

type DeliveryJob = OutboundMessage & { readonly installs?: number };

/** A campaign scan and how often the job scheduler starts it. */
export interface ScheduledScan {
  readonly scanner: CampaignScanner;
  readonly everyMs: number;
}

/** A periodic check run by the scan role, e.g. the R30 send-spike watch. */
export interface ScheduledWatch {
  readonly name: string;
  readonly everyMs: number;
  run(): Promise<unknown>;
}

export interface CampaignEngineOptions {
  /** A BullMQ connection (`maxRetriesPerRequest: null`), standalone or Cluster. */
  readonly connection: Redis | Cluster;
  /** Hash-tagged prefix, e.g. `{sspr-jobs}`. */
  readonly prefix: string;
  readonly delivery?: {
    readonly processor: Pick<DeliveryProcessor, 'deliver' | 'failed'>;
    /** Jobs in flight per worker process. */
    readonly concurrency: number;
    /** BullMQ's global limiter: at most this many delivery jobs start per second across all workers (0 = off). */
    readonly globalPerSecond: number;
    readonly attempts: number;
    readonly backoffMs?: number;
    /** A worker that dies holds its jobs this long before another takes them over (BullMQ lock + stalled check). */
    readonly lockDurationMs?: number;
    readonly stalledIntervalMs?: number;
    /** How often a job may stall (its worker died or blocked past the lock) before the queue fails it (default 5). */
    readonly maxStalledCount?: number;
    readonly onOutcome?: (message: OutboundMessage, outcome: DeliveryOutcome) => void;
  };
  /** The failed-job handler could not record a dead letter (Redis down): the job stays in BullMQ's failed set. */
  readonly onHandlerError?: (message: OutboundMessage, error: unknown) => void;
  readonly scans?: {
    readonly run: RunDirectoryScan;
    readonly scheduled: readonly ScheduledScan[];
    /** Periodic checks that are no directory scan (the R30 send-spike watch): one job per interval across workers. */
    readonly watches?: readonly ScheduledWatch[];
    readonly onResult?: (scan: string, result: ScanResult) => void;
  };
}

/** Queues delivery jobs in BullMQ; the job id is the message id, so a message queued twice is one job. */
export class BullMqOutbox implements CampaignOutbox {
  constructor(private readonly queue: Queue) {}

  async enqueue(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const now = Date.now();
    for (let i = 0; i < messages.length; i += 500) {
      await this.queue.addBulk(
        messages.slice(i, i + 500).map((m) => ({
          name: m.card.kind,
          data: m,
          opts: { jobId: m.id, ...(m.notBefore !== undefined && m.notBefore > now ? { delay: m.notBefore - now } : {}) },
        })),
      );
    }
  }
}

/**
 * The campaign engine on BullMQ (platform notes, "Queues for proactive work"): a delivery queue worked by any number
 * of stateless worker processes, and scans started by BullMQ job schedulers (one job per interval across all of them,
 * retried with back-off after a directory outage and resumed from the saved cursor). `close` finishes the jobs in
 * flight within the drain time, then hands the rest back (their locks lapse and another worker takes them).
 */
export class CampaignEngine {
  readonly deliveryQueue: Queue;
  readonly scanQueue: Queue;
  readonly outbox: BullMqOutbox;
  private readonly workers: Worker[] = [];

  constructor(private readonly o: CampaignEngineOptions) {
    const d = o.delivery;
    this.deliveryQueue = new Queue(DELIVERY_QUEUE, {
      connection: o.connection,
      prefix: o.prefix,
      defaultJobOptions: {
        attempts: d?.attempts ?? 8,
        backoff: { type: 'exponential', delay: d?.backoffMs ?? 2000 },
        removeOnComplete: true,
        removeOnFail: { count: 10_000 },
      },
    });
    this.scanQueue = new Queue(SCAN_QUEUE, { connection: o.connection, prefix: o.prefix });
    this.outbox = new BullMqOutbox(this.deliveryQueue);
  }

  /** Start the roles this process has: the delivery worker and/or the scan worker with its schedules. */
  async start(): Promise<void> {
    const d = this.o.delivery;
    if (d) {
      const worker = new Worker<DeliveryJob>(DELIVERY_QUEUE, (job, token) => this.deliver(job, token), {
        connection: this.o.connection,
        prefix: this.o.prefix,
        concurrency: d.concurrency,
        ...(d.globalPerSecond > 0 ? { limiter: { max: d.globalPerSecond, duration: 1000 } } : {}),
        ...(d.lockDurationMs ? { lockDuration: d.lockDurationMs } : {}),
        ...(d.stalledIntervalMs ? { stalledInterval: d.stalledIntervalMs } : {}),
        maxStalledCount: d.maxStalledCount ?? 5,
      });
      worker.on('error', () => undefined);
      // The failed-job handler: a job BullMQ fails for good (finishedOn set: no retry follows) goes to the dead
      // letters with its reason, never only to BullMQ's failed set. A stall over the limit arrives as the deferred
      // failure BullMQ's stalled check put on the job.
      worker.on('failed', (job) => {
        if (!job || typeof job.finishedOn !== 'number') return;
        const stalled = typeof job.deferredFailure === 'string' && job.deferredFailure.length > 0;
        void d.processor
          .failed(job.data, { reason: stalled ? 'stalled' : 'job_failed', attempts: stalled ? job.attemptsStarted : job.attemptsMade, detail: job.failedReason || 'unknown' })
          .then(
            (out) => d.onOutcome?.(job.data, out),
            (e: unknown) => this.o.onHandlerError?.(job.data, e),
          );
      });
      this.workers.push(worker);
    }
    const s = this.o.scans;
    if (s) {
      const byName = new Map(s.scheduled.map((x) => [x.scanner.name, x.scanner]));
      for (const x of s.scheduled) {
        await this.scanQueue.upsertJobScheduler(
          `scan-${x.scanner.name}`,
          { every: x.everyMs },
          { name: x.scanner.name, data: { scan: x.scanner.name }, opts: { attempts: 10, backoff: { type: 'exponential', delay: 15_000 }, removeOnComplete: true, removeOnFail: 100 } },
        );
      }
      const watches = new Map((s.watches ?? []).map((w) => [w.name, w]));
      for (const w of watches.values())
        await this.scanQueue.upsertJobScheduler(
          `watch-${w.name}`,
          { every: w.everyMs },
          { name: `watch-${w.name}`, data: { watch: w.name }, opts: { attempts: 1, removeOnComplete: true, removeOnFail: 100 } },
        );
      const worker = new Worker<{ scan?: string; watch?: string }>(
        SCAN_QUEUE,
        async (job) => {
          if (job.data.watch !== undefined) {
            const w = watches.get(job.data.watch);
            if (!w) return 'unknown';
            await w.run();
            return 'done';
          }
          const scanner = byName.get(job.data.scan ?? '');
          if (!scanner) return 'unknown';
          const r = await s.run.run(scanner);
          s.onResult?.(scanner.name, r);
          // Failing the job makes BullMQ retry it with back-off; the cursor was kept, so the retry resumes (F23).
          if (!r.ok) throw new Error(`scan ${scanner.name}: ${r.reason}`);
          return r.done ? 'done' : 'partial';
        },
        { connection: this.o.connection, prefix: this.o.prefix, concurrency: 1, lockDuration: 120_000 },
      );
      worker.on('error', () => undefined);
      this.workers.push(worker);
    }
  }

  /** Run one scan now (the same job the scheduler starts), e.g. after a deploy or from a test. */
  async runScanNow(name: string): Promise<void> {
    await this.scanQueue.add(name, { scan: name }, { attempts: 10, backoff: { type: 'exponential', delay: 15_000 }, removeOnComplete: true });
  }

  private async deliver(job: Job<DeliveryJob>, token: string | undefined): Promise<string> {
    const d = this.o.delivery;
    if (!d) throw new Error('no delivery role');
    const installs = job.data.installs ?? 0;
    const out = await d.processor.deliver(job.data, {
      id: token ?? `${job.id ?? ''}:${job.attemptsStarted}`,
      number: job.attemptsMade + 1,
      max: job.opts.attempts ?? 1,
      installs,
    });
    d.onOutcome?.(job.data, out);
    if (out.kind === 'later') {
      if (out.installs !== installs) await job.updateData({ ...job.data, installs: out.installs });
      await job.moveToDelayed(Date.now() + Math.max(1, out.inMs), token);
      throw new DelayedError();
    }
    if (out.kind === 'retry') throw new Error(`delivery failed${out.status ? ` (${out.status})` : ''}; retrying`);
    return out.kind;
  }

  /** Graceful: finish jobs in flight for up to `drainMs`, then hand the rest back and close connections. */
  async close(drainMs = 10_000): Promise<void> {
    const graceful = Promise.all(this.workers.map((w) => w.close()));
    const timedOut = await Promise.race([graceful.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), drainMs).unref())]);
    if (timedOut) await Promise.all(this.workers.map((w) => w.close(true)));
    await this.deliveryQueue.close();
    await this.scanQueue.close();
  }
}
