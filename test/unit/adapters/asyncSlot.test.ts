/**
 * issue 15 (the tail): the per-turn values (turn scope, user-record memo, reader's zone) share one AsyncLocalStorage
 * through AsyncSlot. These show it keeps the semantics of one AsyncLocalStorage per value.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AsyncSlot } from '../../../adapters/asyncSlot';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('AsyncSlot', () => {
  it('issue 15: a value is seen across awaits inside run and not outside', async () => {
    const slot = new AsyncSlot<string>();
    expect(slot.get()).toBeUndefined();
    const seen = await slot.run('turn-1', async () => {
      await tick();
      return slot.get();
    });
    expect(seen).toBe('turn-1');
    expect(slot.get()).toBeUndefined();
  });

  it('issue 15: entering one slot does not hide another (nested runs of different slots)', async () => {
    const scope = new AsyncSlot<string>();
    const memo = new AsyncSlot<string>();
    const zone = new AsyncSlot<string | null>();
    const seen = await scope.run('lease', () =>
      memo.run('records', () =>
        zone.run(null, async () => {
          await tick();
          return [scope.get(), memo.get(), zone.get()];
        }),
      ),
    );
    expect(seen).toEqual(['lease', 'records', null]);
  });

  it('issue 15: the nearest run of a slot wins and the outer value returns after it', async () => {
    const slot = new AsyncSlot<number>();
    const other = new AsyncSlot<string>();
    await slot.run(1, async () => {
      await other.run('x', () => slot.run(2, async () => {
        await tick();
        expect(slot.get()).toBe(2);
        expect(other.get()).toBe('x');
      }));
      expect(slot.get()).toBe(1);
      expect(other.get()).toBeUndefined();
    });
  });

  it('issue 15: concurrent turns never see each other’s values', async () => {
    const slot = new AsyncSlot<number>();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        slot.run(i, async () => {
          for (let k = 0; k < 3; k++) await tick();
          return slot.get();
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('issue 15: work a turn leaves running keeps the turn’s value (as AsyncLocalStorage does)', async () => {
    const slot = new AsyncSlot<string>();
    const reference = new AsyncLocalStorage<string>();
    let later: Promise<[string | undefined, string | undefined]> | undefined;
    await reference.run('turn', () =>
      slot.run('turn', async () => {
        later = new Promise((r) => setTimeout(() => r([slot.get(), reference.getStore()]), 5));
      }),
    );
    expect(await later).toEqual(['turn', 'turn']);
  });
});

describe('one AsyncLocalStorage in the product', () => {
  it('issue 15: no source outside adapters/asyncSlot.ts creates an AsyncLocalStorage (each one costs every promise a hook)', () => {
    const root = join(__dirname, '../../..');
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const offenders = ['bot', 'adapters', 'domain', 'dialogs', 'cards']
      .flatMap((d) => sources(join(root, d)))
      .filter((f) => /\bAsyncLocalStorage\b/.test(readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')))
      .map((f) => relative(root, f));
    expect(offenders).toEqual(['adapters/asyncSlot.ts']);
  });
});
