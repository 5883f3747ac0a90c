import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Issue 16: a failed Teams send rejected while notify still awaited methods.list(); Promise.allSettled attached its
 * handler too late and the process died of an unhandled rejection. Jest swallows unhandled rejections, so the
 * scenario runs in a child Node process with Node's default (throw) mode: it exits non-zero on the race.
 */
const root = join(__dirname, '..', '..');
const script = `
import { TeamsNotifications } from './bot/notifications';
import { createLogger } from './bot/logger';
const lines: string[] = [];
const logger = createLogger('info', { write: (s: string) => void lines.push(s) } as never);
const notifications = new TeamsNotifications({
  adapter: {} as never,
  appId: '',
  refs: { get: async () => ({ conversation: { id: 'c' }, serviceUrl: 'https://127.0.0.1:1/', locale: 'en-US' }), save: async () => undefined } as never,
  // The Teams send fails at once ...
  sender: { send: () => Promise.reject(new Error('unusable serviceUrl')) },
  // ... while the method list takes a while (a Redis round trip).
  methods: {
    list: () => new Promise((r) => setTimeout(() => r([{ id: 'm1', kind: 'email', confirmedAt: 1 }]), 50)),
    get: async () => ({ secrets: { destination: 'a@example.com' } }),
  } as never,
  mail: { notify: async () => undefined } as never,
  logger,
});
notifications.notify({ tenantId: 't', objectId: 'o' }, 'password_reset', 'corr-1').then(() => {
  process.stdout.write(JSON.stringify({ done: true, logged: lines.join('') }));
});
`;

test('R22: a Teams send that fails while notify still reads the methods is no unhandled rejection; the failure is logged', () => {
  const run = spawnSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), '--eval', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).not.toContain('unusable serviceUrl');
  expect(run.status).toBe(0);
  const out = JSON.parse(run.stdout) as { done: boolean; logged: string };
  expect(out.logged).toContain('notification delivery failed');
  expect(out.logged).not.toContain('unusable serviceUrl');
}, 90_000);
