import { ENROLMENT_TICKET_TTL_SECONDS, MemoryEnrolmentTickets } from '../../../adapters/enrolmentTickets';

/**
 * R35 attack on the development/test ticket store (no Redis): tickets that are issued and never opened. Each click on
 * the set-up card's button issues one; before, an unopened ticket was never dropped (its expiry was only noticed
 * when that same ticket was asked for), so a user clicking in a loop grew the process without limit.
 */
const mallory = { tenantId: 't1', objectId: 'mallory' };
const rita = { tenantId: 't1', objectId: 'rita' };

describe('R35 memory enrolment tickets are bounded', () => {
  test('R35 attack: 5,000 unopened tickets from one user stay within the cap; another user’s fresh ticket still shows once', async () => {
    let now = 1_000_000;
    const tickets = new MemoryEnrolmentTickets(() => now, ENROLMENT_TICKET_TTL_SECONDS, 100);
    for (let i = 0; i < 5_000; i++) await tickets.issue(mallory, { purpose: 'recoveryCodes' });
    expect(tickets.size).toBeLessThanOrEqual(100);

    const legit = await tickets.issue(rita, 'method-1');
    expect(await tickets.claimDisplay(rita, legit)).toEqual({ purpose: 'authenticator', methodId: 'method-1' });
    expect(await tickets.claimDisplay(rita, legit)).toBeNull();
    expect(await tickets.methodOf(rita, legit)).toBe('method-1');
    expect(await tickets.claimDisplay(mallory, legit)).toBeNull();

    // Expired tickets are swept before a live one is evicted.
    now += ENROLMENT_TICKET_TTL_SECONDS * 1000 + 1;
    const live = await tickets.issue(rita, 'method-2');
    expect(tickets.size).toBeLessThan(10);
    expect(await tickets.methodOf(rita, legit)).toBeNull();
    expect(await tickets.claimDisplay(rita, live)).toEqual({ purpose: 'authenticator', methodId: 'method-2' });
  });
});
