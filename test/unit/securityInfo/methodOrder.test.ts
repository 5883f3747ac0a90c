import { maskEmail } from '../../../domain/methods/registeredMethod';
import { user } from '../../contract/securityKit';
import { securityInfoKit } from '../../support/securityInfoKit';

/** The directory holds a mobile number and an e-mail address; each seed gives the pre-filled methods other ids. */
const kit = (seed: number) => securityInfoKit({ seed, directory: { contacts: async () => ({ mobilePhones: ['+31612345678'], officePhones: [], emails: ['ada@example.org'] }), mailbox: async () => null } });

describe('the order methods are shown and offered in does not depend on their random ids', () => {
  test('R31: the bootstrap offers the directory mobile before the directory e-mail, whatever ids the pre-fill drew', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { uc } = kit(seed);
      const option = await uc.bootstrap.options({ user: user(`oid-order-${seed}`) });
      expect(option.kind).toBe('directory');
      if (option.kind !== 'directory') continue;
      expect(option.choices.map((c) => c.kind)).toEqual(['mobilePhone', 'email']);
    }
  });

  test('methods saved in the same moment list by kind (mobile, office, e-mail), then by id; older ones first', async () => {
    const { clock, s } = kit(1);
    const u = user('oid-order-list');
    const now = clock.now();
    const save = (id: string, kind: 'email' | 'mobilePhone' | 'officePhone', createdAt: number) =>
      s.methods.save(u, {
        method: { id, kind, maskedDestination: maskEmail('a@example.org'), confirmedAt: null, lastUsedAt: null, createdAt, source: 'directory', channels: kind === 'email' ? ['email'] : ['voice'] },
        secrets: { destination: kind === 'email' ? 'a@example.org' : '+31612345678' },
      });
    await save('a-email', 'email', now);
    await save('b-office', 'officePhone', now);
    await save('z-mobile', 'mobilePhone', now);
    await save('0-older-email', 'email', now - 1000);
    expect((await s.methods.list(u)).map((m) => m.id)).toEqual(['0-older-email', 'z-mobile', 'b-office', 'a-email']);
  });
});
