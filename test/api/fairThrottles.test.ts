import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import type { DomainEvent } from '../../domain/events';
import { LogCapture } from '../support/appHarness';
import { ConnectorStub } from '../support/connectorStub';
import { startRedis, type RedisServer } from '../support/redisServer';
import { action, ChatDriver, findAll, type TurnResult } from '../support/chatDriver';
import { DEMO_TENANT } from '../support/activities';

/**
 * R33 fair throttles, performed as an attacker would: ordinary tenant users with only their Teams session (no
 * methods, no directory contact data: the default session-only registration), talking to /api/messages over HTTP,
 * against a private real Redis. The legitimate user next to each attack still gets a code.
 *
 * Policy for the test: a per-prefix bucket of 5 sends an hour (R30) so a handful of sends shows the exhaustion, and
 * the per-user gap between two codes (R10, 30–3600 s in the policy file; tested elsewhere) shortened to 1 s so one
 * attacker can send several codes within the test.
 */
const ATTACKER = { oid: '3a1f0c2e-5b7d-4e9f-8a1b-2c3d4e5f6a01', upn: 'mallory.attacker@contoso.example' };
const HELPER = { oid: '3a1f0c2e-5b7d-4e9f-8a1b-2c3d4e5f6a02', upn: 'trent.helper@contoso.example' };
const THIRD = { oid: '3a1f0c2e-5b7d-4e9f-8a1b-2c3d4e5f6a03', upn: 'oscar.third@contoso.example' };
const REAL = { oid: '3a1f0c2e-5b7d-4e9f-8a1b-2c3d4e5f6a04', upn: 'rita.real@contoso.example' };
const MAILER = { oid: '3a1f0c2e-5b7d-4e9f-8a1b-2c3d4e5f6a05', upn: 'maria.mail@contoso.example' };
const EVE = { oid: '3a1f0c2e-5b7d-4e9f-8a1b-2c3d4e5f6a06', upn: 'eve.other@contoso.example' };
const UNI = [7, 8, 9, 10].map((n) => ({
  oid: `3a1f0c2e-5b7d-4e9f-8a1b-2c3d4e5f6a${String(n).padStart(2, '0')}`,
  upn: `uni.user${n}@contoso.example`,
}));
const PREFIX = '+31612';
const PREFIX_LIMIT = 5;

let redis: RedisServer;
let connector: ConnectorStub;
let app: Awaited<ReturnType<typeof createApp>>;
let baseUrl: string;
let chat: ChatDriver;
let dir: string;
const events: DomainEvent[] = [];

const user = (u: { oid: string; upn: string }, name: string) => ({
  objectId: u.oid,
  userPrincipalName: u.upn,
  displayName: name,
  givenName: name.split(' ')[0],
  surname: name.split(' ')[1],
  initialPassword: 'Demo-Start-Password-2026',
  passwordChangedAt: '2026-05-01T08:00:00Z',
  groups: [] as string[],
});

beforeAll(async () => {
  redis = await startRedis();
  connector = new ConnectorStub();
  await connector.start();
  dir = mkdtempSync(join(tmpdir(), 'sspr-r33-'));
  const directoryFile = join(dir, 'directory.json');
  writeFileSync(
    directoryFile,
    JSON.stringify({
      tenantId: DEMO_TENANT,
      organisationName: 'Contoso',
      lockoutThreshold: 5,
      users: [
        user(ATTACKER, 'Mallory Attacker'),
        user(HELPER, 'Trent Helper'),
        user(THIRD, 'Oscar Third'),
        user(REAL, 'Rita Real'),
        user(MAILER, 'Maria Mail'),
        user(EVE, 'Eve Other'),
        ...UNI.map((u, i) => user(u, `Uni User${i}`)),
      ],
    }),
  );
  const policyFile = join(dir, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({
      phone: { sendsPerPrefixPerHour: PREFIX_LIMIT },
      throttles: { sendsPerHourPerChannel: 10, sendsPerDayPerDestination: 2 },
    }),
  );
  const config = loadConfig({
    LOG_LEVEL: 'info',
    ALLOWED_TENANTS: DEMO_TENANT,
    REDIS_URL: redis.url,
    DEMO_DIRECTORY_FILE: directoryFile,
    POLICY_FILE: policyFile,
  });
  const patched = {
    ...config,
    policy: { ...config.policy, throttles: { ...config.policy.throttles, minSecondsBetweenSends: 1 } },
  };
  app = await createApp(patched, createLogger('info', new LogCapture()));
  app.services.events.subscribe((e) => void events.push(e));
  baseUrl = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
  chat = new ChatDriver(() => baseUrl, connector);
});

afterAll(async () => {
  await app?.close(2000);
  await connector?.stop();
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const outbox = () => app.services.security.outbox!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Security info → add → kind (after removing the pending method of that kind, once there is one) → type the
 * destination, as the user does in Teams. Returns the answer to the destination.
 */
async function register(oid: string, kind: 'mobilePhone' | 'email', destination: string): Promise<TurnResult> {
  await chat.turn(oid, { text: 'cancel' });
  await chat.turn(oid, { text: 'hi' });
  const overview = await chat.turn(oid, { value: { verb: 'menu', choice: 'securityInfo' } });
  let start = overview;
  const pending = (await app.services.security.methods.list({ tenantId: DEMO_TENANT, objectId: oid })).find(
    (m) => m.kind === kind,
  );
  if (pending) {
    const confirm = await chat.turn(oid, { value: action(overview, 'si.remove', (d) => d.methodId === pending.id) });
    start = await chat.turn(oid, { value: action(confirm, 'si.removeConfirm') });
  }
  const entry = await chat.turn(oid, {
    value: action(await chat.turn(oid, { value: action(start, 'si.add') }), 'si.kind', (d) => d.kind === kind),
  });
  expect(findAll(entry.posts, (n) => n.id === 'destination')).toHaveLength(1);
  return chat.turn(oid, { value: { ...action(entry, 'si.destination'), destination } });
}

const gotCode = (r: TurnResult) => findAll(r.posts, (n) => n.data?.verb === 'si.code').length === 1;

describe('R33 fair throttles (real Redis, as Teams users over HTTP)', () => {
  test('R33 R30 attack: one user registering many numbers in one prefix is stopped by his own pending-registration limit (3 a day); a real user of that prefix still gets a code', async () => {
    const results: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await register(ATTACKER.oid, 'mobilePhone', `${PREFIX}${String(340001 + i)}`);
      results.push(gotCode(r));
      if (!gotCode(r)) expect(r.text).toContain("I can't send another code right now");
      await sleep(1100);
    }
    expect(results).toEqual([true, true, true, false, false, false]);
    expect(
      outbox()
        .list()
        .filter((e) => e.kind === 'code' && e.to.startsWith(PREFIX)),
    ).toHaveLength(3);
    expect(events.filter((e) => e.type === 'send_throttled' && e.limit === 'pending_registrations')).toHaveLength(3);
    // A second code to a number he already has pending is not a new destination (R10 still limits it).
    const again = await register(ATTACKER.oid, 'mobilePhone', `${PREFIX}340001`);
    expect(gotCode(again)).toBe(true);

    // The real user of the prefix: her number still gets its code, and she can confirm it.
    const real = '+31612999888';
    const r = await register(REAL.oid, 'mobilePhone', real);
    expect(gotCode(r)).toBe(true);
    const code = outbox().lastCode(real)!;
    const saved = await chat.turn(REAL.oid, { value: { ...action(r, 'si.code'), code } });
    expect(saved.text).toContain('Saved');
    expect(events.some((e) => e.type === 'shared_bucket_exceeded')).toBe(false);
  });

  test('R33 R30: a shared bucket over its limit refuses with send_throttled (prefix) and raises shared_bucket_exceeded once', async () => {
    // The prefix has had 5 sends this hour (the attacker's 3 + 1 resend, the real user's 1): full.
    const before = events.length;
    const first = await register(HELPER.oid, 'mobilePhone', `${PREFIX}777001`);
    const second = await register(THIRD.oid, 'mobilePhone', `${PREFIX}777002`);
    expect([gotCode(first), gotCode(second)]).toEqual([false, false]);
    const after = events.slice(before);
    expect(after.filter((e) => e.type === 'send_throttled' && e.limit === 'prefix')).toHaveLength(2);
    const alerts = after.filter((e) => e.type === 'shared_bucket_exceeded');
    expect(alerts).toEqual([
      expect.objectContaining({
        type: 'shared_bucket_exceeded',
        bucket: 'phone_prefix',
        prefix: PREFIX,
        limit: PREFIX_LIMIT,
      }),
    ]);
    // Another prefix is not affected (after the user's own 1 s gap: the refused try counted toward it).
    await sleep(1100);
    expect(gotCode(await register(HELPER.oid, 'mobilePhone', '+31623111222'))).toBe(true);
  });

  test('R33 attack: case and +tag variants of one mailbox share its per-destination cap (2 a day here), whoever asks; another mailbox still gets its code', async () => {
    const victim = 'victim.mailbox@fabrikam.example';
    const variants = [
      'Victim.Mailbox+a@fabrikam.example',
      'VICTIM.MAILBOX@FABRIKAM.EXAMPLE',
      'victim.mailbox+b@Fabrikam.Example',
      'victim.mailbox+c@fabrikam.example',
    ];
    const got: boolean[] = [];
    for (const [i, v] of variants.entries()) {
      got.push(gotCode(await register([MAILER, HELPER, THIRD, EVE][i]!.oid, 'email', v)));
    }
    expect(got).toEqual([true, true, false, false]);
    const toMailbox = outbox()
      .list()
      .filter((e) => e.kind === 'code' && e.to.toLowerCase().replace(/\+[^@]*/, '') === victim);
    expect(toMailbox).toHaveLength(2);
    expect(events.filter((e) => e.type === 'send_throttled' && e.limit === 'destination')).toHaveLength(2);
    // The legitimate path: a different mailbox is not affected (after the 1 s gap of the user's first code).
    await sleep(1100);
    expect(gotCode(await register(MAILER.oid, 'email', 'maria.private@fabrikam.example'))).toBe(true);
  });

  test('R33 attack: Unicode spellings of one mailbox (composed é vs e + combining accent, upper case) share its per-destination cap; a mailbox without the accents is another mailbox and still gets its code', async () => {
    const nfc = 'jos\u00e9.n\u00fa\u00f1ez@fabrikam.example';
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    const variants = [nfc, nfd, nfc.toUpperCase().replace('@FABRIKAM.EXAMPLE', '@fabrikam.example'), nfd.toUpperCase()];
    const got: boolean[] = [];
    for (const [i, v] of variants.entries()) got.push(gotCode(await register(UNI[i]!.oid, 'email', v)));
    expect(got).toEqual([true, true, false, false]);
    const toMailbox = outbox()
      .list()
      .filter((e) => e.kind === 'code' && e.to.normalize('NFC').toLowerCase() === nfc);
    expect(toMailbox).toHaveLength(2);
    // Not over-canonicalised: jose.nunez (no accents) is a different mailbox, with its own cap.
    await sleep(1100);
    expect(gotCode(await register(UNI[0]!.oid, 'email', 'jose.nunez@fabrikam.example'))).toBe(true);
  });
});
