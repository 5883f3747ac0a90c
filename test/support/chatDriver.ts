import { isInactiveCardUpdate, replyText, teamsActivity } from './activities';
import type { ConnectorStub } from './connectorStub';

export interface TurnResult {
  posts: any[];
  puts: { path: string; body: any }[];
  text: string;
}

/**
 * Drives the bot over HTTP as one Teams user would: each turn posts an activity whose serviceUrl is the local
 * connector stub, and returns what the bot sent to the connector during it (posts, card replacements).
 */
export class ChatDriver {
  constructor(
    private readonly baseUrl: () => string,
    private readonly connector: ConnectorStub,
  ) {}

  async turn(user: string, input: { text?: string; value?: unknown }, locale = 'en-US', userName?: string): Promise<TurnResult> {
    const before = this.connector.calls.length;
    const res = await fetch(`${this.baseUrl()}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(teamsActivity({ ...input, locale, userObjectId: user, serviceUrl: this.connector.url, expectReplies: false, ...(userName ? { userName } : {}) })),
    });
    if (res.status >= 300) throw new Error(`bot answered ${res.status}`);
    const calls = this.connector.calls.slice(before);
    const posts = calls.filter((c) => c.method === 'POST' && /\/activities/.test(c.path)).map((c) => c.body);
    // Dialog replacements only; the "no longer active" updates of older cards are counted apart.
    const puts = calls.filter((c) => c.method === 'PUT' && !isInactiveCardUpdate(c.body)).map((c) => ({ path: c.path, body: c.body }));
    return { posts, puts, text: replyText(posts) };
  }
}

/** Every node of the activities matching `pred`, depth first. */
export function findAll(posts: unknown, pred: (n: any) => boolean): any[] {
  const out: any[] = [];
  const walk = (n: any): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    if (pred(n)) out.push(n);
    for (const v of Object.values(n)) walk(v);
  };
  walk(posts);
  return out;
}

/** The data of every Action.Submit with this verb in `root` (activities, a card, any part of one), depth first. */
export function submitData(root: unknown, verb: string): Record<string, unknown>[] {
  return findAll(root, (n) => n.type === 'Action.Submit' && n.data?.verb === verb).map((n) => n.data as Record<string, unknown>);
}

/** The last Action.Submit (or task/fetch) data with this verb in a turn's cards; throws when none. */
export function action(r: TurnResult, verb: string, pred: (d: any) => boolean = () => true): any {
  const found = findAll(r.posts, (n) => (n.type === 'Action.Submit' || n.type === 'Action.Execute') && n.data).map((n) => n.data).filter((d) => d.verb === verb && pred(d));
  if (!found.length) throw new Error(`no ${verb} action in: ${r.text}`);
  return found[found.length - 1];
}

/** Waits (bounded, 10 s) until `check` holds. */
export async function eventually(check: () => boolean | Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
