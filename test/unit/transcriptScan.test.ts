import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRecoveryCodes } from '../../domain/methods/recoveryCodes';
import { OtplibTotpEngine } from '../../adapters/crypto/otplibTotpEngine';
import { SeededRandom } from '../support/fixedClock';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { scanTranscripts } = require('../support/transcriptScan.js') as { scanTranscripts: (dir: string) => string[] };

/** The scan run by test/support/globalTeardown.js after the suite (R35 acceptance 4), on transcripts of our making. */
describe('R35 acceptance 4: the connector transcript scan', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sspr-scan-'));
    mkdirSync(join(dir, 'transcripts'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (entries: unknown[]): void => writeFileSync(join(dir, 'transcripts', 'connector-1.jsonl'), entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const seed = new OtplibTotpEngine().generateSecret();
  const grouped = seed.match(/.{1,4}/g)!.join(' ');
  const code = generateRecoveryCodes(new SeededRandom(7))[0]!;
  const card = (text: string, channelId = 'msteams') => ({ type: 'message', channelId, attachments: [{ content: { body: [{ type: 'TextBlock', text }] } }] });

  test('R35: clean transcripts (and none at all) pass', () => {
    expect(scanTranscripts(join(dir, 'none'))).toEqual([]);
    write([{ op: 'post', id: 'a', activity: card('Open the set-up window') }, { op: 'reply', activity: card('Your code is 123456 — ticket 0f3a9c2e4b5d6e7f8091a2b3c4d5e6f7') }]);
    expect(scanTranscripts(dir)).toEqual([]);
  });

  test('R35: an id whose hex groups happen to be all digits is not a recovery code (a replyToId seen in a full run); a code in a sentence still is', () => {
    write([{ op: 'post', id: 'a', activity: { ...card('Done'), replyToId: '7df64432-3467-4637-8722-8938cf266e33' } }]);
    expect(scanTranscripts(dir)).toEqual([]);
    write([{ op: 'post', id: 'a', activity: card(`Your codes: ${code}, and more`) }]);
    expect(scanTranscripts(dir)).toHaveLength(1);
  });

  test('R35: a TOTP seed (plain or grouped), an otpauth URI, a QR image or a recovery code in a Teams activity fails the run', () => {
    for (const text of [seed, `Enter this key instead: ${grouped}`, `otpauth://totp/x?secret=abc`, code]) {
      write([{ op: 'post', id: 'a', activity: card(text) }]);
      expect(scanTranscripts(dir)).toHaveLength(1);
    }
    write([{ op: 'post', id: 'a', activity: { channelId: 'msteams', attachments: [{ content: { type: 'Image', url: 'data:image/png;base64,iVBOR' } }] } }]);
    expect(scanTranscripts(dir)[0]).toContain('QR code image');
  });

  test('R35 fallback: a card with the secret where dialogs do not open passes only when the same activity is replaced after', () => {
    write([{ op: 'post', id: 'a', activity: card(grouped, 'webchat') }, { op: 'put', id: 'a', activity: card('Hidden for your security', 'webchat') }]);
    expect(scanTranscripts(dir)).toEqual([]);
    write([{ op: 'post', id: 'a', activity: card(grouped, 'webchat') }, { op: 'put', id: 'b', activity: card('Hidden', 'webchat') }]);
    expect(scanTranscripts(dir)[0]).toContain('never replaced');
    write([{ op: 'post', id: 'a', activity: card(code, 'webchat') }, { op: 'put', id: 'a', activity: card(code, 'webchat') }]);
    expect(scanTranscripts(dir).length).toBeGreaterThan(0);
    write([{ op: 'reply', activity: card(code, 'webchat') }]);
    expect(scanTranscripts(dir)).toHaveLength(1);
  });
});
