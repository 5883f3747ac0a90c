import { PassThrough } from 'node:stream';
import { JsonAuditLog, MemoryAuditLog } from '../../adapters/audit/jsonAuditLog';
import { FixedClock } from '../support/fixedClock';

test('R20: one JSON line per event: UTC time, correlation id, pseudonymous user, kind, outcome, reason; secrets redacted, line breaks escaped', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const log = new JsonAuditLog(out, Buffer.alloc(32, 9), new FixedClock(Date.UTC(2026, 10, 25, 9, 0, 0)));
  await log.record({
    type: 'code.send',
    correlationId: 'corr\n-1',
    user: { tenantId: 't1', objectId: 'oid-secret-person' },
    methodKind: 'mobilePhone',
    outcome: 'refused',
    reason: 'throttled',
    detail: { to: '•••••••••78', code: '123456', note: 'call +31612345678 or jan@contoso.example', free: 'line1\nline2', secretish: 'JBSWY3DPEHPK3PXPJBSWY3DP' },
  });
  const lines = text.trim().split('\n');
  expect(lines).toHaveLength(1);
  const e = JSON.parse(lines[0]!);
  expect(e).toMatchObject({ time: '2026-11-25T09:00:00.000Z', correlationId: 'corr\\n-1', methodKind: 'mobilePhone', outcome: 'refused', reason: 'throttled' });
  expect(e.user).toMatch(/^[0-9a-f]{32}$/);
  expect(e.detail).toEqual({ to: '•••••••••78', code: '[redacted]', note: '[redacted]', free: 'line1\\nline2', secretish: '[redacted]' });
  expect(text).not.toContain('oid-secret-person');
  expect(text).not.toContain('123456');
  expect(text).not.toContain('31612345678');
});

test('R20: a hex correlation id with a long digit run is kept (it is not a phone number), a bare number is still checked', async () => {
  const clock = new FixedClock();
  const log = new MemoryAuditLog(clock);
  await log.record({ type: 'x', correlationId: 'a123456789012bcd', outcome: 'info' });
  await log.record({ type: 'x', correlationId: '31612345678', outcome: 'info' });
  expect(log.lines[0]).toContain('"correlationId":"a123456789012bcd"');
  expect(log.lines[1]).not.toContain('31612345678');
});
