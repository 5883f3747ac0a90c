// Stops the servers shared by a jest run (started lazily by test/support/samba.ts in SSPR_TEST_RUN_DIR), then scans
// the run's connector transcripts for secrets (R35, test/support/transcriptScan.js) and fails the run if it finds any.
const fs = require('node:fs');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { scanTranscripts } = require('./transcriptScan');

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

module.exports = async function globalTeardown() {
  const dir = process.env.SSPR_TEST_RUN_DIR;
  if (!dir || !fs.existsSync(dir)) return;
  const info = path.join(dir, 'samba', 'info.json');
  if (fs.existsSync(info)) {
    const { pid } = JSON.parse(fs.readFileSync(info, 'utf8'));
    if (pid && alive(pid)) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        process.kill(pid, 'SIGTERM');
      }
      for (let i = 0; i < 200 && alive(pid); i++) await sleep(50);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
  // R35 acceptance 4: no TOTP seed or recovery code in any connector transcript of this run.
  const problems = scanTranscripts(dir);
  // Kept when something was found, so the transcript lines named below can be read.
  if (!problems.length) fs.rmSync(dir, { recursive: true, force: true });
  if (problems.length) {
    throw new Error(`R35: secrets in the connector transcripts of this run (kept in ${dir}/transcripts):\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`);
  }
};
