import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { authenticator } from 'otplib';
import en from '../../locales/en.json';
import nl from '../../locales/nl.json';
import { Slapd, SLAPD_BASE, SLAPD_PRIVILEGED_GROUP, SLAPD_SERVICE_DN, SLAPD_SERVICE_PASSWORD } from '../../test/support/slapd';
import { BENCH_TENANT, benchActivity, type BenchConversation, type BotClient, type Reply, type TurnOutcome } from './loadGenerator';

/**
 * The journey scenario's users: each registers an authenticator app and an e-mail address in security info, then
 * resets the password with both (the e-mail code read from the app's dev outbox, the TOTP computed from the key the
 * enrolment card shows), entirely through HTTP activities (card submits copied from the replies' Action.Submit data).
 * Even users set the new password in the chat card; odd users in the Teams dialog page (POST
 * /api/flows/:flowId/password of the pages API, development identity header).
 */

/** The five turn kinds of the issue, each turn of the journey belongs to one (plus the e-mail send and the rest). */
export const TURN_GROUPS = ['start', 'method choice', 'code send', 'code check', 'TOTP check', 'password submit', 'other'] as const;
export type TurnGroup = (typeof TURN_GROUPS)[number];

/** Every measured step of one journey, in order: [kind, group]. */
export const JOURNEY_TURNS: readonly (readonly [string, TurnGroup])[] = [
  ['greeting', 'other'],
  ['si: start', 'start'],
  ['si: add', 'other'],
  ['si: choose authenticator (bootstrap asked)', 'method choice'],
  ['si: bootstrap, directory mobile (code sent)', 'code send'],
  ['si: bootstrap code check', 'code check'],
  ['si: authenticator page', 'other'],
  ['si: TOTP check', 'TOTP check'],
  ['si: back', 'other'],
  ['si: add (2)', 'other'],
  ['si: choose e-mail', 'method choice'],
  ['si: e-mail address (code sent)', 'code send'],
  ['si: code check', 'code check'],
  ['si: done', 'other'],
  ['reset: start', 'start'],
  ['reset: choose e-mail (code sent)', 'method choice'],
  ['reset: code check', 'code check'],
  ['reset: choose authenticator', 'method choice'],
  ['reset: TOTP check', 'TOTP check'],
  ['reset: password submit (chat card)', 'password submit'],
  ['reset: password submit (pages API)', 'password submit'],
];
export const GROUP_OF: ReadonlyMap<string, TurnGroup> = new Map(JOURNEY_TURNS.map(([k, g]) => [k, g]));

export interface JourneyUser extends BenchConversation {
  readonly upn: string;
  readonly displayName: string;
  readonly mail: string;
  /** The mobile number the directory holds (R31 bootstrap: the first method is proved by a code to it). */
  readonly mobile: string;
  readonly newPassword: string;
  /** 'chat' sets the password in the chat card, 'page' in the dialog page (pages API). */
  readonly passwordVia: 'chat' | 'page';
}

/** `count` journey users; ids `be4c0000-0000-4000-a000-…` keep their Redis keys apart from the cheap-turn users'. */
export function makeJourneyUsers(count: number, tag: string): JourneyUser[] {
  return Array.from({ length: count }, (_, i) => {
    const hex = (tag.charCodeAt(0) * 1_000_000 + i).toString(16).padStart(12, '0').slice(-12);
    const objectId = `be4c0000-0000-4000-a000-${hex}`;
    const n = `${tag}${i}`;
    return {
      objectId,
      conversationId: `a:bench-j-${objectId}`,
      locale: i % 2 === 0 ? 'en-US' : 'nl-NL',
      next: 0,
      upn: `bench.${n}@contoso.example`,
      displayName: `Bench Journey ${n}`,
      mail: `bench.${n}@fabrikam.example`,
      // Valid NL mobile numbers (06-1…06-5, 06-8) spread over 60 prefixes: the policy allows 30 sends per prefix per
      // hour, and a number the phone check refuses is not offered for the bootstrap (session-only instead).
      mobile: `+316${'123458'[Math.floor(i / 10) % 6]}${i % 10}${String(100_000 + ((tag.charCodeAt(0) * 7919 + i) % 900_000)).padStart(6, '0')}`,
      // Random and long, so the strength check and the banned-term check accept it and no two users share one.
      newPassword: `Qv-${randomBytes(9).toString('base64url')}-orbit-${i}`,
      passwordVia: i % 2 === 0 ? 'chat' : 'page',
    };
  });
}

/** Writes a demo-directory file (the format of config/demo-directory.json) holding these users; returns its path. */
export function writeJourneyDirectory(dir: string, users: readonly JourneyUser[]): string {
  const file = join(dir, 'bench-directory.json');
  writeFileSync(
    file,
    JSON.stringify({
      tenantId: BENCH_TENANT,
      organisationName: 'Contoso',
      lockoutThreshold: 5,
      users: users.map((u) => ({
        objectId: u.objectId,
        userPrincipalName: u.upn,
        displayName: u.displayName,
        givenName: 'Bench',
        surname: u.displayName.split(' ').at(-1),
        initialPassword: `Bench-Start-${randomBytes(6).toString('hex')}`,
        mobilePhone: u.mobile,
        groups: ['0a7c1e52-3f4b-4d6a-9e8f-1b2c3d4e5f60'], // All Staff, by object id (R32)
      })),
    }),
  );
  return file;
}

/** TOTP codes for a key, never one of a time step used before (the app refuses replays, R12). */
class Authenticator {
  private readonly used = new Set<number>();
  constructor(private readonly secret: string) {}

  code(): string {
    const current = Math.floor(Date.now() / 30_000);
    // The app accepts the neighbouring steps too (window ±1): take the first one not used yet.
    const step = [current, current + 1].find((s) => !this.used.has(s));
    if (step === undefined) throw new Error('both usable TOTP steps already used');
    this.used.add(step);
    return authenticator.clone({ epoch: step * 30_000 + 1_000 }).generate(this.secret);
  }
}

/** What the journey needs from its surroundings. */
export interface JourneyDeps {
  readonly client: BotClient;
  /** The newest code the app's dev outbox holds for an address. */
  readonly outboxCode: (to: string) => Promise<string | null>;
  /** Base URL of the Bot Connector stand-in (activities' serviceUrl, so proactive messages have somewhere to go). */
  readonly serviceUrl: string;
  /**
   * Between registering and resetting: the user "comes back a minute later". R10 allows one code per address per
   * minute, so the bench removes that user's send-gap window in its private Redis instead of waiting 60 s.
   */
  readonly comeBackLater: (u: JourneyUser) => Promise<void>;
  /** Runs around every measured turn (calibration reads the server's counters before and after). */
  readonly around?: <T>(kind: string, turn: () => Promise<T>) => Promise<T>;
  /** Told about every measured turn. */
  readonly record: (kind: string, ms: number, ok: boolean) => void;
}

export class JourneyFailed extends Error {
  constructor(
    readonly kind: string,
    readonly problem: string,
  ) {
    super(`${kind}: ${problem}`);
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

function findAll(root: unknown, pred: (n: Record<string, unknown>) => boolean): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!isObject(n)) return;
    if (pred(n)) out.push(n);
    Object.values(n).forEach(walk);
  };
  walk(root);
  return out;
}

const catalog = (u: JourneyUser): Record<string, string> => (u.locale === 'nl-NL' ? nl : en);
const prefix = (u: JourneyUser, key: string): string => (catalog(u)[key] ?? key).split('{')[0]!.trim();

/** One user's chat with the bot, over HTTP activities. */
class Chat {
  last: Reply[] = [];

  constructor(
    readonly u: JourneyUser,
    private readonly deps: JourneyDeps,
  ) {}

  private async timed<T extends TurnOutcome>(kind: string, send: () => Promise<T>): Promise<T> {
    let ms = 0;
    const run = async (): Promise<T> => {
      const t0 = performance.now();
      const out = await send();
      ms = performance.now() - t0;
      return out;
    };
    const out = this.deps.around ? await this.deps.around(kind, run) : await run();
    this.deps.record(kind, ms, out.ok);
    if (!out.ok) throw new JourneyFailed(kind, out.problem ?? 'failed');
    return out;
  }

  async send(kind: string, input: { text: string } | { value: Record<string, unknown> }): Promise<void> {
    const activity = { ...benchActivity(this.u, input), serviceUrl: this.deps.serviceUrl, from: { id: `29:${this.u.objectId}`, name: this.u.displayName, aadObjectId: this.u.objectId } };
    const out = await this.timed(kind, () => this.deps.client.postForReplies(activity));
    this.last = out.replies;
  }

  /** The data of the last Action.Submit with this verb (and matching `pred`) in the last replies. */
  action(kind: string, verb: string, pred: (n: Record<string, unknown>) => boolean = () => true): Record<string, unknown> {
    const found = findAll(this.last, (n) => n.type === 'Action.Submit' && isObject(n.data) && n.data.verb === verb && pred(n));
    if (found.length === 0) throw new JourneyFailed(kind, `no ${verb} action in the replies ("${this.text().replace(/\s+/g, ' ').slice(0, 160)}")`);
    return found[found.length - 1]!.data as Record<string, unknown>;
  }

  submit(kind: string, verb: string, fields: Record<string, unknown> = {}, pred?: (n: Record<string, unknown>) => boolean): Promise<void> {
    const data = { ...this.action(kind, verb, pred), ...fields };
    delete data.msteams;
    return this.send(kind, { value: data });
  }

  text(): string {
    const out: string[] = [];
    for (const r of this.last) {
      if (r.text) out.push(r.text);
      for (const n of findAll(r.attachments, (x) => typeof x.text === 'string')) out.push(String(n.text));
    }
    return out.join('\n');
  }

  async code(kind: string, to: string = this.u.mail): Promise<string> {
    const code = await this.deps.outboxCode(to);
    if (!code) throw new JourneyFailed(kind, 'no code in the dev outbox');
    return code;
  }

  /**
   * The loopback address this user's dialog pages connect from (127.1.x.y, unique per user; Linux routes all of
   * 127/8 to lo). A real user's browser has its own address; from one address the pages API's per-address limit
   * (300 requests a minute) would refuse the 200 users' page calls with 429 — a bench artefact, not the product's
   * behaviour under that load.
   */
  private get pageAddress(): string {
    const n = Number.parseInt(this.u.objectId.slice(-4), 16);
    return `127.1.${(n >> 8) & 255}.${n & 255}`;
  }

  /** The authenticator dialog page's read: GET /api/enrolments/:ticket (development identity); the key, no spaces. */
  async pageKey(kind: string, ticket: string): Promise<string> {
    let key = '';
    await this.timed(kind, () =>
      this.deps.client.getJson(`/api/enrolments/${encodeURIComponent(ticket)}`, { 'x-dev-user': `${BENCH_TENANT}:${this.u.objectId}` }, (status, body) => {
        if (status !== 200 || !isObject(body) || typeof body.key !== 'string') return false;
        key = body.key.replace(/\s+/g, '');
        return true;
      }, this.pageAddress),
    );
    return key;
  }

  /** The authenticator dialog page's confirm: POST /api/enrolments/:ticket/confirm with the app's first code. */
  async pageConfirm(kind: string, ticket: string, code: string): Promise<void> {
    await this.timed(kind, () =>
      this.deps.client.postJson(`/api/enrolments/${encodeURIComponent(ticket)}/confirm`, { code }, { 'x-dev-user': `${BENCH_TENANT}:${this.u.objectId}` }, (status) => status === 200, this.pageAddress),
    );
  }

  /** The dialog page's password submit: POST /api/flows/:flowId/password (development identity). */
  async pagePassword(kind: string, flowId: string): Promise<void> {
    await this.timed(kind, () =>
      this.deps.client.postJson(
        `/api/flows/${encodeURIComponent(flowId)}/password`,
        { password: this.u.newPassword, confirmation: this.u.newPassword, locale: this.u.locale === 'nl-NL' ? 'nl' : 'en' },
        { 'x-dev-user': `${BENCH_TENANT}:${this.u.objectId}` },
        (status, body) => status === 200 || (status === 202 && isObject(body) && body.status === 'pending'),
        this.pageAddress,
      ),
    );
  }
}

const hasTitle = (u: JourneyUser, key: string) => (n: Record<string, unknown>): boolean =>
  typeof n.title === 'string' && n.title.startsWith(prefix(u, key));

/**
 * One whole journey: register an authenticator app and an e-mail address, then reset with both. Throws
 * {@link JourneyFailed} naming the turn kind that went wrong.
 */
export async function runJourney(u: JourneyUser, deps: JourneyDeps): Promise<void> {
  const chat = new Chat(u, deps);
  await chat.send('greeting', { text: u.locale === 'nl-NL' ? 'hallo' : 'hi' });
  await chat.send('si: start', { value: { verb: 'menu', choice: 'securityInfo' } });

  // The authenticator app first. It is the first method, so the R31 bootstrap comes first: a code to the mobile
  // number the directory holds; confirming it carries on with the authenticator, and is this sitting's proof (R19).
  await chat.submit('si: add', 'si.add');
  await chat.submit('si: choose authenticator (bootstrap asked)', 'si.kind', {}, (n) => isObject(n.data) && n.data.kind === 'authenticatorApp');
  await chat.submit('si: bootstrap, directory mobile (code sent)', 'si.bootstrapWith', {}, (n) => typeof n.title === 'string' && n.title.endsWith(u.mobile.slice(-2)));
  await chat.submit('si: bootstrap code check', 'si.code', { code: await chat.code('si: bootstrap code check', u.mobile) });
  // R35: the QR code and key are only in the dialog page, behind the single-use ticket the chat card carries.
  const ticket = String(chat.action('si: bootstrap code check', 'openAuthenticatorDialog').ticket);
  const app = new Authenticator(await chat.pageKey('si: authenticator page', ticket));
  await chat.pageConfirm('si: TOTP check', ticket, app.code());
  await chat.submit('si: back', 'si.back');

  await chat.submit('si: add (2)', 'si.add');
  await chat.submit('si: choose e-mail', 'si.kind', {}, (n) => isObject(n.data) && n.data.kind === 'email');
  await chat.submit('si: e-mail address (code sent)', 'si.destination', { destination: u.mail });
  await chat.submit('si: code check', 'si.code', { code: await chat.code('si: code check') });
  await chat.submit('si: done', 'si.done');

  await deps.comeBackLater(u);

  await chat.send('reset: start', { value: { verb: 'menu', choice: 'reset' } });
  await chat.submit('reset: choose e-mail (code sent)', 'verify.choose', {}, hasTitle(u, 'verify.method.email'));
  await chat.submit('reset: code check', 'verify.code', { code: await chat.code('reset: code check') });
  await chat.submit('reset: choose authenticator', 'verify.choose', {}, hasTitle(u, 'verify.method.authenticatorApp'));
  await chat.submit('reset: TOTP check', 'verify.totp', { code: app.code() });
  if (u.passwordVia === 'chat') {
    await chat.submit('reset: password submit (chat card)', 'reset.password', { newPassword: u.newPassword, confirmPassword: u.newPassword });
    const done = prefix(u, 'recovery.resetDone');
    const working = prefix(u, 'reset.working');
    const said = chat.text();
    if (!said.includes(done) && !said.includes(working)) throw new JourneyFailed('reset: password submit (chat card)', 'neither done nor working');
  } else {
    const flowId = chat.action('reset: password submit (pages API)', 'openPasswordDialog').flowId;
    if (typeof flowId !== 'string') throw new JourneyFailed('reset: password submit (pages API)', 'no flow id on the password card');
    await chat.pagePassword('reset: password submit (pages API)', flowId);
  }
}

/**
 * `--journey-directory slapd`: a private OpenLDAP server (test/support/slapd.ts: mdb, ppolicy with history and
 * lockout, a least-privilege service account) holding the demo-directory file's users — same object ids (in
 * employeeNumber), names, mobile numbers and initial passwords — and the app settings that point DIRECTORY=ldap at it
 * (plain LDAP on loopback, development only). Needs slapd and slapadd on the PATH (Debian package slapd).
 */
export interface JourneySlapd {
  stop(): Promise<void>;
  /** True when the user can bind with this password (the journey's new password reached the directory). */
  canBind(upn: string, password: string): Promise<boolean>;
}

export async function startJourneySlapd(demoDirectoryFile: string): Promise<{ slapd: JourneySlapd; env: Record<string, string> }> {
  const file = JSON.parse(readFileSync(demoDirectoryFile, 'utf8')) as {
    users: { objectId: string; userPrincipalName: string; givenName?: string; surname?: string; displayName: string; initialPassword: string; mobilePhone?: string }[];
  };
  const slapd = new Slapd({
    users: file.users.map((u) => ({
      uid: u.userPrincipalName.split('@')[0] as string,
      objectId: u.objectId,
      givenName: u.givenName ?? 'Bench',
      surname: u.surname ?? u.displayName,
      password: u.initialPassword,
      mail: u.userPrincipalName,
      ...(u.mobilePhone ? { mobile: u.mobilePhone } : {}),
    })),
    pwdMinLength: 8,
    pwdInHistory: 3,
    pwdMaxFailure: 5,
  });
  await slapd.start();
  return {
    slapd: { stop: () => slapd.stop(), canBind: (upn, password) => slapd.canBind(upn.split('@')[0] as string, password) },
    env: {
      DIRECTORY: 'ldap',
      DEV_ALLOW_REAL_SYSTEMS: 'true',
      LDAP_URL: slapd.url,
      LDAP_ALLOW_INSECURE: 'true',
      LDAP_DIALECT: 'openldap',
      LDAP_BIND_DN: SLAPD_SERVICE_DN,
      LDAP_BIND_PASSWORD: SLAPD_SERVICE_PASSWORD,
      LDAP_BASE_DN: `ou=people,${SLAPD_BASE}`,
      LDAP_USER_ID_ATTRIBUTE: 'employeeNumber',
      LDAP_PRIVILEGED_GROUPS: SLAPD_PRIVILEGED_GROUP,
    },
  };
}
