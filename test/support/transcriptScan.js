// R35 acceptance 4: after the whole suite, no TOTP seed or recovery code in any connector transcript.
// The transcripts are written by test/support/transcript.ts (ConnectorStub, expectReplies answers, the development
// channel). Rules:
//   - an activity to a Teams conversation (channelId msteams, which the local chat page speaks too) never carries a
//     seed, an otpauth URI, a QR code image or a recovery code: there they are shown only in the dialog page;
//   - elsewhere (a client without dialogs) the chat card may show one, but only if that same activity is replaced
//     afterwards by a version without it (the fallback of R35);
//   - an update or an expectReplies answer never carries one.
const fs = require('node:fs');
const path = require('node:path');

// A 20-byte TOTP seed is 32 base32 symbols; the card and the page group them by 4 with spaces.
const SEED = /(?<![A-Z2-7])[A-Z2-7]{4}(?: ?[A-Z2-7]{4}){7}(?![A-Z2-7])/;
// domain/methods/recoveryCodes.ts: 16 symbols of ABCDEFGHJKLMNPQRSTUVWXYZ23456789 in 4 groups.
// Not inside a longer run of hex groups: a UUID such as 7df64432-3467-4637-8722-8938cf266e33 has four all-digit
// groups by chance (about once in tens of thousands of ids) and is no recovery code.
const RECOVERY_CODE = /(?<![A-Za-z0-9-])[A-HJ-NP-Z2-9]{4}(?:-[A-HJ-NP-Z2-9]{4}){3}(?![A-Za-z0-9-])/;
const OTPAUTH = /otpauth:\/\//i;
const QR_IMAGE = /data:image\/png;base64,/;

/** What secret-shaped content this activity holds (names and a masked sample), or [] when none. */
function secretsIn(activity, teams) {
  const text = JSON.stringify(activity ?? null);
  const found = [];
  const mask = (s) => `${s.slice(0, 4)}…`;
  let m;
  if ((m = SEED.exec(text))) found.push(`TOTP seed ${mask(m[0])}`);
  if ((m = RECOVERY_CODE.exec(text))) found.push(`recovery code ${mask(m[0])}`);
  if (OTPAUTH.test(text)) found.push('otpauth URI');
  if (teams && QR_IMAGE.test(text)) found.push('QR code image');
  return found;
}

/** The problems found in the transcripts under `dir` (an empty list when clean or when there are none). */
function scanTranscripts(dir) {
  const folder = path.join(dir, 'transcripts');
  if (!fs.existsSync(folder)) return [];
  const problems = [];
  for (const file of fs.readdirSync(folder).filter((f) => f.endsWith('.jsonl'))) {
    const lines = fs.readFileSync(path.join(folder, file), 'utf8').split('\n').filter(Boolean);
    /** Fallback cards with a secret, by activity id, waiting for their replacement. */
    const pending = new Map();
    lines.forEach((line, i) => {
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        return;
      }
      const where = `${file}:${i + 1}`;
      const activity = e.activity ?? {};
      const teams = activity.channelId === undefined || activity.channelId === 'msteams';
      const found = secretsIn(activity, teams);
      if (e.op === 'put') {
        if (found.length) problems.push(`${where}: an update carries ${found.join(', ')}`);
        else if (e.id) pending.delete(e.id);
        return;
      }
      if (found.length === 0) return;
      if (e.op === 'post' && !teams && e.id) pending.set(e.id, `${where}: a ${activity.channelId} card with ${found.join(', ')} was never replaced`);
      else problems.push(`${where}: ${teams ? 'a Teams activity' : 'an activity'} (${e.op}) carries ${found.join(', ')}`);
    });
    problems.push(...pending.values());
  }
  return problems;
}

module.exports = { scanTranscripts, secretsIn };
