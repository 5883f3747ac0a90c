import { gzipSync, deflateSync } from 'node:zlib';
import { appSuite } from '../support/appSuite';
import { post, replyText, teamsActivity } from '../support/activities';
import { rawRequest } from '../support/rawHttp';

/**
 * Issue 16, the body decoder: every route reads its body through one bounded, error-handled decoder. Each row is
 * sent through HTTP to the real app; afterwards the process must still be up and a valid turn must still work.
 */
const app = appSuite({ redis: false });

const activity = (): string => JSON.stringify(teamsActivity({ text: 'hi', serviceUrl: app.stub.url, userObjectId: 'bbbbbbbb-0000-4000-8000-000000000001' }));
const ROUTES = ['/api/messages', '/api/password/check', '/api/helpdesk/handoffs', '/v3/directline/tokens/generate'];
const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);

interface Row {
  readonly title: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer | string;
  readonly chunks?: (Buffer | string)[];
  readonly status: number;
}

const rows: Row[] = [
  { title: 'R22: two bytes of gzip (1f 8b) are refused, not a process exit', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: Buffer.from([0x1f, 0x8b]), status: 415 },
  {
    title: 'R22: a gzip body that inflates to 24 MB is refused (the limit counts decoded bytes; no coding is decoded at all)',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipSync(Buffer.from(`{"pad":"${'a'.repeat(24 * 1024 * 1024)}"}`)),
    status: 415,
  },
  { title: 'R22: deflate and br codings are refused', headers: { 'content-type': 'application/json', 'content-encoding': 'deflate' }, body: deflateSync(Buffer.from('{"type":"message"}')), status: 415 },
  { title: 'R22: a stacked coding (gzip, identity) is refused', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip, identity' }, body: gzipSync(Buffer.from('{}')), status: 415 },
  { title: 'R22: a declared length over the limit is refused before reading', headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) }, body: '{}', status: 413 },
  { title: 'R22: a chunked body over the limit is refused while reading', headers: { 'content-type': 'application/json' }, chunks: Array.from({ length: 40 }, () => 'x'.repeat(16 * 1024)), status: 413 },
  { title: 'R22: malformed JSON is a clean 400', headers: { 'content-type': 'application/json' }, body: '{"type": "message", ', status: 400 },
  { title: 'R22: invalid UTF-8 that is not JSON is a clean 400', headers: { 'content-type': 'application/json' }, body: Buffer.from([0xff, 0xfe, 0x7b]), status: 400 },
  { title: 'R22: 4,100 levels of nesting are a clean 400 (no RangeError when replies copy a field)', headers: { 'content-type': 'application/json' }, body: `{"type":"message","value":${deep(4100)}}`, status: 400 },
  { title: 'R22: 100,000 levels of nesting are a clean 400', headers: { 'content-type': 'application/json' }, body: deep(100_000), status: 400 },
  { title: 'R22: a non-JSON media type is refused', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=2', status: 415 },
  { title: 'R22: a charset other than UTF-8 is refused', headers: { 'content-type': 'application/json; charset=utf-16' }, body: '{}', status: 415 },
];

describe('issue 16: one bounded body decoder for every route', () => {
  test.each(rows.flatMap((r) => ROUTES.map((route) => [`${r.title} — ${route}`, r, route] as const)))('%s', async (_title, row, route) => {
    const res = await rawRequest(app.running.baseUrl, {
      path: route,
      headers: { ...(row.chunks ? {} : { 'content-length': String(Buffer.byteLength(row.body ?? '')) }), ...row.headers },
      ...(row.body !== undefined ? { body: row.body } : {}),
      ...(row.chunks ? { chunks: row.chunks } : {}),
    });
    // A refused chunked upload may see the connection closed right after the answer: the status must still be ours.
    expect(res.status).toBe(row.status);
    expect(res.body).not.toMatch(/stack|at \w+ \(|TypeError|RangeError|Error:/);
    if (route.startsWith('/api/')) expect(JSON.parse(res.body)).toEqual({ error: expect.stringMatching(/^(invalid_body|payload_too_large|unsupported_media_type)$/) });
    // The process survived and still answers a valid turn.
    expect((await fetch(`${app.running.baseUrl}/healthz`)).status).toBe(200);
  });

  test('R26: after every row a valid journey still gets its welcome', async () => {
    const { status, replies } = await post(app.running.baseUrl, JSON.parse(activity()) as Record<string, unknown>);
    expect(status).toBe(200);
    expect(replyText(replies)).toContain("I'm the Password Reset Assistant");
  });

  test('R22: identity coding and a JSON body still work; a body-less GET still works', async () => {
    const res = await rawRequest(app.running.baseUrl, { path: '/api/messages', headers: { 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'identity' }, body: activity() });
    expect(res.status).toBe(200);
    expect((await rawRequest(app.running.baseUrl, { method: 'GET', path: '/readyz' })).status).toBe(200);
  });
});
