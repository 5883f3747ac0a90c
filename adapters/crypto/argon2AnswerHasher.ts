import argon2 from 'argon2';
import { SsprError } from '../../domain/errors';
import type { AnswerHasher } from '../../domain/ports/answerHasher';
import { Semaphore } from './semaphore';

/** argon2id, m = 19456 KiB, t = 2, p = 1 (R13, OWASP); a fresh salt per answer (argon2 default, 16 bytes). */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Security-answer hashing with at most `maxConcurrent` argon2 runs at once (≈ 19 MiB each). */
export class Argon2AnswerHasher implements AnswerHasher {
  private readonly gate: Semaphore;

  constructor(maxConcurrent = 2) {
    this.gate = new Semaphore(maxConcurrent);
  }

  /** Concurrent argon2 runs right now (≤ maxConcurrent). */
  get running(): number {
    return this.gate.running;
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
