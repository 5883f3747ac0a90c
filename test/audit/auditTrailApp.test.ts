import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../support/appHarness';
import { ConnectorStub } from '../support/connectorStub';
import { post, teamsActivity } from '../support/activities';
import { FixedClock } from '../support/fixedClock';
import { startRedis, type RedisServer } from '../support/redisServer';
import { SyslogTlsReceiver } from '../support/syslogReceiver';
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';
import { Chat, codesSeen, mailOf, oid, phoneOf, register, waitFor, writeFixtures, type Kit } from '../dialogs/resetJourneyKit';

jest.setTimeout(60_000);

describe('every sink gets every event, and no sink gets a secret (issue 14, R1, R2, R20)', () => {
  let redis: RedisServer;
  let receiver: SyslogTlsReceiver;
  let kit: Kit;
  let auditDir: string;
  const password = 'Lantern-7-orbit-Tulip-velvet';

  beforeAll(async () => {
    redis = await startRedis();
    receiver = new SyslogTlsReceiver();
    await receiver.start();
    auditDir = mkdtempSync(join(tmpdir(), 'sspr-audit-app-'));
    const caFile = join(auditDir, '..', `${auditDir.split('/').pop()}-ca.pem`);
    writeFileSync(caFile, receiver.tls.cert);
    const stub = new ConnectorStub();
    await stub.start();
    const files = writeFixtures(2, 10);
    const clock = new FixedClock(Date.now());
    const run = await startApp(
      {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: 'aud:',
        POLICY_FILE: files.policyFile,
        DEMO_DIRECTORY_FILE: files.directoryFile,
        AUDIT_SINKS: 'stdout,file,syslog',
        AUDIT_FILE_DIR: auditDir,
        AUDIT_INSTANCE: 'test-bot',
        AUDIT_SYSLOG_HOST: 'localhost',
        AUDIT_SYSLOG_PORT: String(receiver.port),
        AUDIT_SYSLOG_CA_FILE: caFile,
      },
      { services: { clock } },
    );
    const directory = run.app.services.directory;
    if (!(directory instanceof MemoryDirectory)) throw new Error('demo directory expected');
    kit = { run, stub, clock, directory, close: async () => { await run.close(); await stub.stop(); } };
  });

  afterAll(async () => {
    await kit?.close();
    await receiver?.stop();
    await redis?.destroy();
    rmSync(auditDir, { recursive: true, force: true });
  });

  const fileText = (): string => readdirSync(auditDir).map((f) => readFileSync(join(auditDir, f), 'utf8')).join('');
  const stdoutAudit = (): string[] => kit.run.logs.lines.filter((l) => l.includes('"audit":true'));

  test('R1, R2: a group chat and a guest are refused and each refusal is an audit event in stdout, the file and syslog', async () => {
    const group = teamsActivity({ userObjectId: oid(1), conversationType: 'groupChat', conversationId: '19:group', serviceUrl: kit.stub.url, text: 'reset my password' });
    expect((await post(kit.run.baseUrl, group)).status).toBe(200);
    const guest = teamsActivity({ userObjectId: oid(2), serviceUrl: kit.stub.url, text: 'reset' });
    (guest.from as Record<string, unknown>).role = 'guest';
    expect((await post(kit.run.baseUrl, guest)).status).toBe(200);

    await waitFor(() => receiver.messages.filter((m) => m.msgId === 'event.gate_refused').length === 2);
    const sd = receiver.messages.filter((m) => m.msgId === 'event.gate_refused').map((m) => m.sd['sspr@32473']);
    expect(sd.map((p) => p?.reason)).toEqual(['not_personal', 'guest']);
    const details = receiver.messages.filter((m) => m.msgId === 'event.gate_refused').map((m) => m.sd['ssprDetail@32473']);
    expect(details).toEqual([{ rule: 'R1' }, { rule: 'R2' }]);
    for (const text of [fileText(), stdoutAudit().join('\n')]) {
      expect(text).toContain('"type":"event.gate_refused"');
      expect(text).toContain('"rule":"R1"');
      expect(text).toContain('"reason":"guest"');
    }
  });

  test('R15, R20: after a real reset (codes by e-mail and SMS, a new password) no sink holds a code, password, number, address or object id', async () => {
    const n = 3;
    await register(kit, n, ['email', 'mobilePhone']);
    const chat = new Chat(kit, n, 'en-US');
    await chat.send({ text: 'I forgot my password' });
    await chat.proveBy('email');
    await chat.proveBy('sms');
    await chat.submitPassword(password);
    await waitFor(() => kit.directory.passwordWrites(oid(n)) === 1);
    await waitFor(() => receiver.messages.some((m) => m.msgId === 'recovery.password_reset' && m.sd['sspr@32473']?.outcome === 'success'));

    const sinks = { stdout: kit.run.logs.text, file: fileText(), syslog: receiver.raw.join('\n') };
    const codes = [...codesSeen];
    expect(codes.length).toBeGreaterThanOrEqual(2);
    const secrets = [password, ...codes, phoneOf(n), phoneOf(n).slice(1), mailOf(n), oid(n)];
    for (const [name, text] of Object.entries(sinks)) {
      expect([name, text.includes('recovery.password_reset')]).toEqual([name, true]);
      expect([name, text.includes('code.send')]).toEqual([name, true]);
      for (const s of secrets) expect([name, s, text.includes(s)]).toEqual([name, s, false]);
    }
    // The same events everywhere: the file and syslog carry the same lines.
    const fileTypes = fileText().trim().split('\n').map((l) => JSON.parse(l).type as string);
    expect(receiver.messages.map((m) => m.msgId)).toEqual(fileTypes);
  });
});
