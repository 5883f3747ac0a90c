import { Semaphore } from '../../../adapters/crypto/semaphore';
import { Argon2AnswerHasher, ARGON2_MAX_CONCURRENT } from '../../../adapters/crypto/argon2AnswerHasher';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Semaphore (bounds argon2 work, issue 15)', () => {
  test('R13: never more than the limit at once, waiters served first in, first out, arrivals while tasks finish', async () => {
    const s = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (i: number) => async (): Promise<number> => {
      active++;
      peak = Math.max(peak, active, s.running);
      order.push(i);
      await tick(i % 3);
      active--;
      return i;
    };
    const all: Promise<number>[] = [];
    for (let i = 0; i < 30; i++) {
      const p = s.run(task(i));
      all.push(p);
      // An arrival right when a task finishes (same microtask drain as the hand-over).
      all.push(p.then(() => s.run(task(100 + i))));
    }
    await Promise.all(all);
    expect(peak).toBeLessThanOrEqual(2);
    expect(s.running).toBe(0);
    expect(s.queued).toBe(0);
    expect(order.filter((i) => i < 100)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  test('R13: a failing task frees its slot', async () => {
    const s = new Semaphore(1);
    await expect(s.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await s.run(async () => 7)).toBe(7);
    expect(s.running).toBe(0);
  });

  test('R13: every argon2 hasher of the process shares one gate', async () => {
    const a = new Argon2AnswerHasher();
    const b = new Argon2AnswerHasher();
    let seenByA = 0;
    let queuedSeenByA = 0;
    const timer = setInterval(() => {
      seenByA = Math.max(seenByA, a.running);
      queuedSeenByA = Math.max(queuedSeenByA, a.waiting);
    }, 1);
    // Only b works; a sees b's runs and queue because the gate is the same one.
    await Promise.all(Array.from({ length: 6 }, (_, i) => b.hash(`answer ${i}`)));
    clearInterval(timer);
    expect(seenByA).toBe(ARGON2_MAX_CONCURRENT);
    expect(queuedSeenByA).toBeGreaterThan(0);
  });
});
