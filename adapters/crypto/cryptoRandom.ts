import { randomBytes, randomInt } from 'node:crypto';
import type { RandomSource } from '../../domain/ports/clock';

/** CSPRNG-backed RandomSource (R5): crypto.randomInt / crypto.randomBytes. */
export class CryptoRandom implements RandomSource {
  int(min: number, max: number): number {
    return randomInt(min, max);
  }
  bytes(n: number): Uint8Array {
    return new Uint8Array(randomBytes(n));
  }
}
