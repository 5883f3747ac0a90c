import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { MemoryAuditLog } from '../../../adapters/audit/jsonAuditLog';
import { MemoryHourlyCounter } from '../../../adapters/memory/memoryHourlyCounter';
import { MemorySendThrottle } from '../../../adapters/memory/memorySendThrottle';
import { HttpSmsVoiceSender } from '../../../adapters/senders/httpSmsVoiceSender';
import { PhoneGuard } from '../../../adapters/senders/phoneGuard';
import { SmtpCodeSender } from '../../../adapters/senders/smtpCodeSender';
import { DEFAULT_POLICY } from '../../../domain/policy/policy';
import { SsprError } from '../../../domain/errors';
import { FixedClock } from '../../support/fixedClock';

const mails: { to: string; raw: string }[] = [];
let smtp: SMTPServer;
let smtpPort: number;
const requests: { url: string; auth: string | undefined; type: string | undefined; body: URLSearchParams }[] = [];
let http: Server;
let httpPort: number;
let httpStatus = 201;

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => resolve(s));
  });

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), raw });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  http = createServer((req, res) => {
    readBody(req).then((b) => {
      requests.push({ url: req.url ?? '', auth: req.headers.authorization, type: req.headers['content-type'], body: new URLSearchParams(b) });
      res.writeHead(httpStatus, { 'content-type': 'application/json' });
      res.end('{"sid":"SM1"}');
    }).catch(() => res.destroy());
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  httpPort = (http.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => smtp.close(() => r()));
  await new Promise<void>((r) => http.close(() => r()));
});

test('SmtpCodeSender delivers a localised code mail to a real SMTP peer (code and lifetime, nothing else secret)', async () => {
  const s = new SmtpCodeSender({ url: `smtp://127.0.0.1:${smtpPort}`, from: 'SSPR <no-reply@contoso.example>', transport: { ignoreTLS: true } });
  await s.send({ channel: 'email', destination: 'jan@contoso.example', code: '482913', lifetimeMinutes: 5, locale: 'nl', purpose: 'verify', correlationId: 'c' });
  await s.notify({ to: 'jan@contoso.example', template: 'methodsChanged', locale: 'en', params: { when: '25 Nov 2026 10:00 UTC', change: 'phone added\r\nBcc: evil@x' }, correlationId: 'c' });
  s.close();
  expect(mails).toHaveLength(2);
  expect(mails[0]!.to).toBe('jan@contoso.example');
  expect(mails[0]!.raw).toContain('Subject: Je verificatiecode');
  expect(mails[0]!.raw).toContain('482913');
  expect(mails[0]!.raw).toContain('5 minuten');
  expect(mails[1]!.raw).toContain('Subject: Your security info was changed');
  expect(mails[1]!.raw).not.toMatch(/^Bcc:/m);
});

test('HttpSmsVoiceSender posts Twilio-shaped SMS and voice requests with Basic auth', async () => {
  const s = new HttpSmsVoiceSender({ baseUrl: `http://127.0.0.1:${httpPort}/`, accountSid: 'AC123', authToken: 'tok', from: '+3197010000000' });
  await s.send({ channel: 'sms', destination: '+31612345678', code: '135790', lifetimeMinutes: 5, locale: 'en', purpose: 'register', correlationId: 'c' });
  await s.send({ channel: 'voice', destination: '+31201234567', code: '135790', lifetimeMinutes: 5, locale: 'nl', purpose: 'verify', correlationId: 'c' });
  const [sms, call] = requests;
  const basic = `Basic ${Buffer.from('AC123:tok').toString('base64')}`;
  expect(sms).toMatchObject({ url: '/2010-04-01/Accounts/AC123/Messages.json', auth: basic, type: 'application/x-www-form-urlencoded' });
  expect(sms!.body.get('To')).toBe('+31612345678');
  expect(sms!.body.get('From')).toBe('+3197010000000');
  expect(sms!.body.get('Body')).toContain('135790');
  expect(call).toMatchObject({ url: '/2010-04-01/Accounts/AC123/Calls.json', auth: basic });
  expect(call!.body.get('Twiml')).toMatch(/^<Response><Say language="nl-NL">.*1, 3, 5, 7, 9, 0.*<\/Say>/);
  httpStatus = 500;
  await expect(s.send({ channel: 'sms', destination: '+31612345678', code: '1', lifetimeMinutes: 5, locale: 'en', purpose: 'verify', correlationId: 'c' })).rejects.toBeInstanceOf(SsprError);
  httpStatus = 201;
  expect(requests).toHaveLength(3); // no automatic retry (F15)
});

describe('R30: telephony fraud guard', () => {
  const clock = new FixedClock();
  const audit = new MemoryAuditLog(clock);
  const hourly = new MemoryHourlyCounter();
  const guard = new PhoneGuard({ ...DEFAULT_POLICY, phone: { ...DEFAULT_POLICY.phone, sendsPerPrefixPerHour: 3 } }, new MemorySendThrottle(clock), hourly, audit, clock, { minBaselinePerHour: 1 });

  test('R30: numbers are normalised to E.164; foreign countries and premium-rate ranges are refused', () => {
    expect(guard.normalise('sms', '06 1234 5678')).toEqual({ ok: true, value: '+31612345678' });
    expect(guard.normalise('sms', '+7 912 345 6789')).toEqual({ ok: false, reason: 'country_not_allowed' });
    expect(guard.normalise('voice', '+31 900 123 456')).toEqual({ ok: false, reason: 'premium_rate' });
    expect(guard.normalise('voice', '+1 900 555 0100')).toEqual({ ok: false, reason: 'premium_rate' });
    expect(guard.normalise('sms', 'hello')).toEqual({ ok: false, reason: 'invalid' });
    expect(guard.normalise('email', 'jan@contoso.example\r\nBcc: x@y.z')).toEqual({ ok: false, reason: 'invalid' });
    expect(guard.normalise('email', 'Jan@Contoso.Example')).toEqual({ ok: true, value: 'Jan@contoso.example' });
  });

  test('R30: per-prefix velocity limit and an alert above 3× the 7-day hourly baseline', async () => {
    const hour = Math.floor(clock.now() / 3_600_000);
    for (let h = 1; h <= 168; h++) hourly.set(hour - h, 1); // baseline 1/h → alert above 3
    const results = [];
    for (const n of ['+31612345601', '+31612345602', '+31612345603', '+31612345604']) results.push((await guard.admit('sms', n, 'c')).ok);
    expect(results).toEqual([true, true, true, false]);
    expect((await guard.admit('sms', '+31612345605', 'c'))).toMatchObject({ ok: false, reason: 'prefix_velocity' });
    expect(await guard.isAlerting()).toBe(false);
    expect((await guard.admit('sms', '+32470123456', 'c')).ok).toBe(true);
    expect(await guard.isAlerting()).toBe(true);
    expect(audit.ofType('telephony.alert')).toHaveLength(1);
    expect(guard.recentAlerts()[0]).toMatchObject({ hourCount: 4, baselinePerHour: 1 });
  });
});
