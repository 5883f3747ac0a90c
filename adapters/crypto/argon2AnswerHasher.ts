import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { SsprError } from '../../domain/errors';
import type { AnswerHasher } from '../../domain/ports/answerHasher';
import { Semaphore } from './semaphore';

/** argon2id, m = 19456 KiB, t = 2, p = 1 (R13, OWASP); a fresh salt per answer (argon2 default, 16 bytes). */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * Concurrent argon2 runs per process: one CPU fewer than the machine has, at most two. Each run holds ≈ 19 MiB
 * (memoryCost) and keeps one CPU and one libuv thread-pool thread (4 by default, shared with scrypt, fs, DNS look-ups
 * and async crypto) busy for its duration. At most two keeps 1,000 parallel verifications at ≈ 40 MiB of argon2
 * memory and leaves half the pool to everything else; one CPU fewer than the machine leaves a core to the event loop,
 * so on a 2-CPU host a burst of security-question answers runs one at a time instead of starving every other turn
 * (measured with `npm run bench`: event-loop delay and turn latency during 1,000 parallel verifications). The rest
 * wait in a FIFO queue (a closure each).
 */
export const ARGON2_MAX_CONCURRENT = Math.min(2, Math.max(1, availableParallelism() - 1));

/** One gate for the whole process: every hasher instance shares it, so two instances cannot double the bound. */
const processGate = new Semaphore(ARGON2_MAX_CONCURRENT);

/** Security-answer hashing with at most {@link ARGON2_MAX_CONCURRENT} argon2 runs at once in the process. */
export class Argon2AnswerHasher implements AnswerHasher {
  private readonly gate: Semaphore;

  /** `maxConcurrent` gives this instance its own gate (tests); by default the process-wide one is used. */
  constructor(maxConcurrent?: number) {
    this.gate = maxConcurrent === undefined || maxConcurrent === ARGON2_MAX_CONCURRENT ? processGate : new Semaphore(maxConcurrent);
  }

  /** Concurrent argon2 runs right now (≤ the bound). */
  get running(): number {
    return this.gate.running;
  }

  /** Runs waiting for the gate right now. */
  get waiting(): number {
    return this.gate.queued;
  }

  async hash(normalisedAnswer: string): Promise<string> {
    try {
      return await this.gate.run(() => argon2.hash(normalisedAnswer, ARGON2_OPTIONS));
    } catch (cause) {
      throw new SsprError('crypto_failed', 'answer hashing failed', { cause });
    }
  }

  async verify(hash: string, normalisedAnswer: string): Promise<boolean> {
    try {
      return await this.gate.run(() => argon2.verify(hash, normalisedAnswer));
    } catch (cause) {
      throw new SsprError('crypto_failed', 'answer verification failed', { cause });
    }
  }
}
