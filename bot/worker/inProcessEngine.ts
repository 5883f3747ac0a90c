import type { OutboundMessage } from '../../domain/campaigns/model';
import type { CampaignOutbox } from '../../domain/campaigns/ports';
import type { RunDirectoryScan, ScanResult } from '../../domain/campaigns/runScan';
import type { ScheduledScan, ScheduledWatch } from './campaignEngine';
import type { DeliveryOutcome, DeliveryProcessor } from './delivery';

/**
 * The campaign engine without Redis (development only, `npm start` with memory state): the same scans and the same
 * DeliveryProcessor, driven by timers in this process. Nothing survives a restart and nothing is shared — with
 * Redis the BullMQ engine runs instead.
 */
export class InProcessEngine {
  readonly outbox: CampaignOutbox;
  private readonly queue: { message: OutboundMessage; attempt: number; installs: number }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private active = 0;
  private closed = false;
  private seq = 0;

  constructor(
    private readonly o: {
      readonly processor: Pick<DeliveryProcessor, 'deliver' | 'failed'>;
      readonly scheduled: readonly ScheduledScan[];
      readonly watches?: readonly ScheduledWatch[];
      readonly run: () => RunDirectoryScan;
      readonly attempts: number;
      readonly concurrency: number;
      readonly onOutcome?: (m: OutboundMessage, o: DeliveryOutcome) => void;
      readonly onResult?: (scan: string, r: ScanResult) => void;
    },
  ) {
    this.outbox = {
      enqueue: async (messages) => {
        for (const message of messages) this.queue.push({ message, attempt: 1, installs: 0 });
        this.pump();
      },
    };
  }

  async start(): Promise<void> {
    for (const w of this.o.watches ?? []) {
      const t = setInterval(() => void w.run().catch(() => undefined), w.everyMs);
      t.unref();
      this.timers.add(t);
    }
    for (const s of this.o.scheduled) {
      const tick = (): void => {
        if (this.closed) return;
        void this.o
          .run()
          .run(s.scanner)
          .then((r) => this.o.onResult?.(s.scanner.name, r))
          .catch(() => undefined);
      };
      this.later(tick, 2000);
      const t = setInterval(tick, s.everyMs);
      t.unref();
      this.timers.add(t);
    }
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private pump(): void {
    while (!this.closed && this.active < this.o.concurrency && this.queue.length) {
      const job = this.queue.shift()!;
      this.active++;
      const attemptId = `mem-${++this.seq}`;
      void this.o.processor
        .deliver(job.message, { id: attemptId, number: job.attempt, max: this.o.attempts, installs: job.installs })
        .then((out) => {
          this.o.onOutcome?.(job.message, out);
          if (out.kind === 'later') this.later(() => this.requeue({ ...job, installs: out.installs }), Math.max(1, out.inMs));
          else if (out.kind === 'retry') this.later(() => this.requeue({ ...job, attempt: job.attempt + 1 }), 1000 * 2 ** Math.min(job.attempt, 6));
        })
        .catch((e: unknown) => {
          // The last attempt threw: the failed-job handler dead-letters it (the BullMQ engine's 'failed' event).
          if (job.attempt >= this.o.attempts) {
            const code = (e as { code?: unknown })?.code;
            const detail = typeof code === 'string' ? code : e instanceof Error ? e.message : 'unknown';
            return this.o.processor
              .failed(job.message, { reason: 'job_failed', attempts: job.attempt, detail })
              .then((out) => this.o.onOutcome?.(job.message, out), () => undefined);
          }
          this.later(() => this.requeue({ ...job, attempt: job.attempt + 1 }), 5000);
        })
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }

  private requeue(job: { message: OutboundMessage; attempt: number; installs: number }): void {
    if (job.attempt > this.o.attempts) return;
    this.queue.push(job);
    this.pump();
  }

  async close(drainMs = 10_000): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const deadline = Date.now() + drainMs;
    while (this.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  }
}
