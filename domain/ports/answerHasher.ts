/**
 * Hashes long-lived secrets (security answers) with argon2id, per-answer salt, concurrency bounded (R13).
 * Input is the normalised answer; output a self-describing PHC string.
 */
export interface AnswerHasher {
  hash(normalisedAnswer: string): Promise<string>;
  verify(hash: string, normalisedAnswer: string): Promise<boolean>;
}
