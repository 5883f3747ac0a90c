import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../support/appHarness';
import { runHelpdeskKeys } from '../../scripts/helpdeskKeys';

// Without Redis the API keys live in a JSON file (HELPDESK_API_KEYS_FILE); the CLI and the app share it.
const file = join(mkdtempSync(join(tmpdir(), 'keys-')), 'nested', 'helpdesk-api-keys.json');
const env = { HELPDESK_API_KEYS_FILE: file };
let running: RunningApp;

beforeAll(async () => {
  running = await startApp(env);
});
afterAll(async () => running.close());

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runHelpdeskKeys(argv, env, { out: (s) => (out += s), err: (s) => (out += s) });
  return { code, out };
}

const get = (key: string) =>
  fetch(`${running.baseUrl}/api/helpdesk/handoffs/${'a'.repeat(32)}`, { headers: { authorization: `ApiKey ${key}` } }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as Record<string, unknown>,
  }));

test('R20: file store — created once by the CLI (hash only, mode 0600), accepted by the app, refused right after revoke', async () => {
  const created = await cli('create', '--name', 'Jira', '--scopes', 'handoffs:read', '--json');
  expect(created.code).toBe(0);
  const { id, key } = JSON.parse(created.out) as { id: string; key: string };
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(id);
  expect(text).not.toContain(key.split('.')[1]);
  expect(statSync(file).mode & 0o777).toBe(0o600);

  expect(await get(key)).toEqual({ status: 404, body: { error: 'not_found' } });
  expect((await cli('revoke', id)).code).toBe(0);
  expect(await get(key)).toEqual({ status: 401, body: { error: 'revoked_api_key' } });
  expect((await cli('revoke', 'ffffffffffffffff')).code).toBe(1);
  expect((await cli('list')).out).toMatch(new RegExp(`${id} {2}Jira .* revoked`));
});

test('issue 11 item 1: on the defaults of npm start (no ALLOWED_TENANTS, no Redis) the API hands a demo user to the bot on behalf of the demo agent', async () => {
  const { key } = JSON.parse((await cli('create', '--name', 'Demo ITSM', '--scopes', 'handoffs:write,handoffs:read', '--json')).out) as { key: string };
  const res = await fetch(`${running.baseUrl}/api/helpdesk/handoffs`, {
    method: 'POST',
    headers: { authorization: `ApiKey ${key}`, 'content-type': 'application/json', 'idempotency-key': 'INC-4711-1' },
    // The README's example: Megan (normal demo user) on behalf of Diego (the demo helpdesk agent).
    body: JSON.stringify({ user: 'megan.bowen@contoso.example', purpose: 'reset', ticket: 'INC-4711', agent: 'diego.siciliani@contoso.example' }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  expect({ status: res.status, error: body.error }).toEqual({ status: 201, error: undefined });
  expect(body).toMatchObject({ purpose: 'reset', ticket: 'INC-4711' });
  const read = await fetch(`${running.baseUrl}${res.headers.get('location') ?? ''}`, { headers: { authorization: `ApiKey ${key}` } });
  expect(read.status).toBe(200);
  // Not an open door: an agent outside the helpdesk group is still refused.
  const megan = await fetch(`${running.baseUrl}/api/helpdesk/handoffs`, {
    method: 'POST',
    headers: { authorization: `ApiKey ${key}`, 'content-type': 'application/json', 'idempotency-key': 'INC-4711-2' },
    body: JSON.stringify({ user: 'lidia.holloway@contoso.example', purpose: 'reset', agent: 'megan.bowen@contoso.example' }),
  });
  expect({ status: megan.status, body: await megan.json() }).toEqual({ status: 403, body: { error: 'agent_not_allowed' } });
});
