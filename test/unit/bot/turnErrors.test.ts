import { MemoryDirectory } from '../../../adapters/directory/memoryDirectory';
import { createLogger } from '../../../bot/logger';
import { describeTurnError } from '../../../bot/turnErrors';
import { SsprError } from '../../../domain/errors';
import { post, teamsActivity } from '../../support/activities';
import { LogCapture, startApp } from '../../support/appHarness';

const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';

/** A directory error as a driver throws it: its message carries a server address and the user's name. */
function driverError(code: string): Error {
  return Object.assign(new Error('connect ECONNRESET 10.9.8.7:636 megan.bowen@contoso.example'), { code });
}

describe('issue 15 / rule 10: the turn error handler logs the cause of a failed dialog step', () => {
  test('issue 15: a dialog step’s inner error (name, stack, errorCode) and the dialog stack are in the log, not only the DialogContextError wrapper; the foreign message is not', async () => {
    const directory = await MemoryDirectory.load('config/demo-directory.json');
    // The security-info start reads the directory's contact data (R31 pre-fill) inside a dialog step.
    directory.readContacts = async function contactsThatFail() {
      throw driverError('ECONNRESET');
    };
    const app = await startApp({}, { services: { directory } });
    try {
      const conversationId = `a:turn-error-${MEGAN}`;
      await post(app.baseUrl, teamsActivity({ conversationId, userObjectId: MEGAN, text: 'hi' }));
      const res = await post(app.baseUrl, teamsActivity({ conversationId, userObjectId: MEGAN, value: { verb: 'menu', choice: 'securityInfo' } }));
      expect(res.status).toBe(200);
      const line = app.logs.lines.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.msg === 'turn failed');
      expect(line).toBeDefined();
      // The inner error, not botbuilder-dialogs' wrapper.
      expect(line!.err.name).toBe('Error');
      expect(line!.err.errorCode).toBe('ECONNRESET');
      expect(line!.err.stack).toContain('contactsThatFail');
      expect(line!.wrapper).toBe('DialogContextError');
      expect(line!.errorCode).toBe('internal');
      expect(Array.isArray(line!.dialog.stack)).toBe(true);
      expect(line!.dialog.stack.length).toBeGreaterThan(0);
      expect(line!.dialog.stack.every((d: { id: unknown }) => typeof d.id === 'string')).toBe(true);
      // Rule 10: the driver's message (address, user) never reaches the log.
      expect(app.logs.text).not.toContain('megan.bowen');
      expect(app.logs.text).not.toContain('10.9.8.7');
    } finally {
      await app.close();
    }
  });

  test('issue 15: an SsprError inside a dialog step is judged as itself (state_unavailable → "temporarily unavailable"), its code logged as errorCode', async () => {
    const directory = await MemoryDirectory.load('config/demo-directory.json');
    directory.readContacts = async () => {
      throw new SsprError('state_unavailable', 'redis down', { cause: driverError('ECONNREFUSED') });
    };
    const app = await startApp({}, { services: { directory } });
    try {
      const conversationId = `a:turn-error-2-${MEGAN}`;
      await post(app.baseUrl, teamsActivity({ conversationId, userObjectId: MEGAN, text: 'hi' }));
      const res = await post(app.baseUrl, teamsActivity({ conversationId, userObjectId: MEGAN, value: { verb: 'menu', choice: 'securityInfo' } }));
      expect(JSON.stringify(res.replies)).toMatch(/temporarily unavailable/i);
      const line = app.logs.lines.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.msg === 'turn failed');
      expect(line!.errorCode).toBe('state_unavailable');
      expect(line!.err).toMatchObject({ name: 'SsprError', errorCode: 'state_unavailable', message: 'redis down', cause: { name: 'Error', errorCode: 'ECONNREFUSED' } });
    } finally {
      await app.close();
    }
  });
});

describe('R15 R20: a one-time code is still never logged', () => {
  test('R20: a field named code is redacted, at the top and one level down; an error whose code is a one-time code has no errorCode', () => {
    const logs = new LogCapture();
    const logger = createLogger('info', logs);
    logger.info({ code: '481516', verify: { code: '234223' } }, 'submitted');
    const failure = describeTurnError(Object.assign(new Error('x'), { code: '927341' }));
    logger.error({ ...failure.log }, 'turn failed');
    expect(logs.text).not.toMatch(/481516|234223|927341/);
    expect(logs.text).toContain('[redacted]');
    expect((failure.log.err as Record<string, unknown>).errorCode).toBeUndefined();
  });
});
