import { ANSWER_DEADLINE_MS, withDeadline } from '../../../domain/recovery/withDeadline';

const after = <T>(ms: number, v: T): Promise<T> => new Promise((r) => setTimeout(() => r(v), ms));

describe('withDeadline', () => {
  test('R26: the deadline is 2 s and a fast call answers directly', async () => {
    expect(ANSWER_DEADLINE_MS).toBe(2000);
    await expect(withDeadline(after(5, 'x'))).resolves.toEqual({ done: true, value: 'x' });
  });

  test('R26: a slower call is handed back still running and its result arrives later', async () => {
    const out = await withDeadline(after(120, 'late'), 30);
    expect(out.done).toBe(false);
    if (out.done) throw new Error('unreachable');
    await expect(out.pending).resolves.toBe('late');
  });

  test('R26: an error before the deadline is rethrown', async () => {
    await expect(withDeadline(Promise.reject(new Error('boom')), 50)).rejects.toThrow('boom');
  });
});
