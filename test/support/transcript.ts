import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** How an activity reached a transcript: sent, updated in place (same id), or returned in an expectReplies answer. */
export type TranscriptOp = 'post' | 'put' | 'reply';

/**
 * R35 acceptance 4: every activity the bot sends to a test's stand-in for the Bot Connector (ConnectorStub, the
 * expectReplies answers, the development channel) is appended to `$SSPR_TEST_RUN_DIR/transcripts/`, one JSON line
 * each; test/support/globalTeardown.js scans them after the run (test/support/transcriptScan.js) and fails it if a
 * TOTP seed or a recovery code is in one. No-op outside a jest run.
 */
export function recordTranscript(source: string, op: TranscriptOp, activity: unknown, id?: string): void {
  const dir = process.env.SSPR_TEST_RUN_DIR;
  if (!dir) return;
  const folder = join(dir, 'transcripts');
  mkdirSync(folder, { recursive: true });
  appendFileSync(join(folder, `${source}-${process.pid}.jsonl`), `${JSON.stringify({ op, ...(id ? { id } : {}), activity })}\n`);
}
