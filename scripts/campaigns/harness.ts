import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import type { OutboundMessage } from '../../domain/campaigns/model';
import { BullMqOutbox } from '../../bot/worker/campaignEngine';
import { DELIVERY_QUEUE, bullConnection } from '../../bot/worker/queues';
import { slotPipeline } from '../../adapters/redis/slotPipeline';
import type { WorkerChildMessage, WorkerChildSettings } from './workerChild';

/** The bot's app id in the seeded conversation references (`28:<id>`): what Graph's read-back names as the sender. */
export const HARNESS_BOT_APP_ID = 'bot';

/** A delivery worker in its own process (tsx), so a test or the bench can SIGKILL it. */
export class WorkerProcess {
  private constructor(private readonly child: ChildProcess) {}

  static async start(settings: WorkerChildSettings): Promise<WorkerProcess> {
    // CAMPAIGN_BENCH_CPU_PROF=<dir>: V8 CPU profiles of the workers (what limits the engine ceiling).
    const prof = process.env.CAMPAIGN_BENCH_CPU_PROF;
    const execArgv = ['--import', 'tsx', ...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [])];
    const child = fork(join(__dirname, 'workerChild.ts'), [JSON.stringify(settings)], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start\n${stderr}`)), 120_000);
      child.on('message', (m: WorkerChildMessage) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited with ${code}\n${stderr}`));
      });
    });
    return new WorkerProcess(child);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  stats(): Promise<Record<string, number>> {
    return this.report().then((r) => r.outcomes);
  }

  /** Outcome counts and the pacer's granted slots per tenant (Redis ms) of this worker. */
  report(): Promise<{ outcomes: Record<string, number>; grants: Record<string, number[]>; cpuMicros: number }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ outcomes: {}, grants: {}, cpuMicros: 0 }), 5000);
      const on = (m: WorkerChildMessage): void => {
        if (m.type !== 'stats') return;
        clearTimeout(timer);
        this.child.off('message', on);
        resolve({ outcomes: m.outcomes, grants: m.grants, cpuMicros: m.cpuMicros });
      };
      this.child.on('message', on);
      this.child.send({ type: 'stats' });
    });
  }

  kill9(): void {
    this.child.kill('SIGKILL');
  }

  /** SIGTERM: the worker finishes what it has in flight, then exits. */
  async terminate(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** Conversation references for `count` users spread round-robin over `tenants` tenants, pointing at the connector. */
export function recipients(count: number, tenants: number): { tenantId: string; objectId: string }[] {
  return Array.from({ length: count }, (_, i) => ({ tenantId: `t${i % tenants}`, objectId: `u${i}` }));
}

/**
 * Conversation references as Teams gives them on install (the user's Entra object id in `user.aadObjectId`); the
 * connector is told each 1:1 conversation exists (`installFor`), as Teams creates it when the app is installed.
 */
export async function seedReferences(
  redis: Redis,
  keyPrefix: string,
  serviceUrl: string,
  users: readonly { tenantId: string; objectId: string }[],
  connector?: { installFor(userObjectId: string, conversationId: string): void },
): Promise<void> {
  for (let i = 0; i < users.length; i += 1000) {
    const p = slotPipeline(redis);
    for (const u of users.slice(i, i + 1000)) {
      const ref = {
        serviceUrl,
        channelId: 'msteams',
        locale: 'en-US',
        conversation: { id: `a:${u.tenantId}:${u.objectId}`, conversationType: 'personal', tenantId: u.tenantId, isGroup: false, name: '' },
        bot: { id: `28:${HARNESS_BOT_APP_ID}`, name: 'bot' },
        user: { id: `29:${u.objectId}`, name: u.objectId, aadObjectId: u.objectId },
      };
      connector?.installFor(u.objectId, ref.conversation.id);
      p.set(`${keyPrefix}{u:${u.tenantId}:${u.objectId}}:convref`, JSON.stringify(ref), 'EX', 3600);
    }
    await p.exec();
  }
}

/** Queue one message per user through the real outbox (BullMQ addBulk). */
export async function enqueueMessages(
  target: string | { readonly url: string; readonly clusterNodes?: readonly { host: string; port: number }[] },
  queuePrefix: string,
  users: readonly { tenantId: string; objectId: string }[],
  createdAt: () => number,
  card: (u: { tenantId: string; objectId: string }) => OutboundMessage['card'] = () => ({ kind: 'expiry', expiresAt: 0, daysLeft: 7 }),
): Promise<void> {
  const connection = bullConnection(typeof target === 'string' ? { url: target } : target, 'campaign-producer');
  const queue = new Queue(DELIVERY_QUEUE, { connection, prefix: queuePrefix, defaultJobOptions: { attempts: 10, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: true, removeOnFail: { count: 10_000 } } });
  const outbox = new BullMqOutbox(queue);
  const batch = 2000;
  for (let i = 0; i < users.length; i += batch) {
    const msgs: OutboundMessage[] = users.slice(i, i + batch).map((u) => ({
      id: `m-${u.tenantId}-${u.objectId}`,
      tenantId: u.tenantId,
      to: { kind: 'user', user: u },
      card: card(u),
      createdAt: createdAt(),
    }));
    await outbox.enqueue(msgs);
  }
  await queue.close();
  await connection.quit();
}
