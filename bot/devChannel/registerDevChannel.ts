/**
 * The local development channel: a Direct Line 3.0–compatible endpoint, a Bot Connector stand-in the bot calls
 * back, and the Web Chat page at `/`. Development mode only: the composition root calls `registerDevChannel`
 * only after `assertDevelopment(config.mode)`, so in production none of these routes exist.
 */
import type { Server } from 'restify';
import { SsprError } from '../../domain/errors';
import { DevConversations, type DemoUser } from './devConversations';
import { registerDirectLineRoutes } from './directLineRoutes';
import { registerConnectorRoutes } from './connectorRoutes';
import { registerPageRoutes } from './pageRoutes';

export type { DemoUser } from './devConversations';

/** What the page tells about a demo user (labels and explanations in the catalog: `devchat.state.<state>`). */
export type DemoUserState = 'admin' | 'helpdesk' | 'disabled' | 'locked' | 'blocked' | 'unregistered' | 'registered';

/** A message the development senders "sent" (SMS, voice call, e-mail), shown in the page's outbox. */
export interface OutboxItem {
  readonly at: number;
  /** 'sms', 'voice', 'email', or another sender's name. */
  readonly channel: string;
  readonly to: string;
  /** `tenantId:objectId` of the demo user the message belongs to, when known (the page shows each user their own). */
  readonly user?: string;
  readonly subject?: string;
  readonly text: string;
}

export interface DevChannelLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

/** What the development channel needs from the composition root. */
export interface DevChannelDeps {
  /** The bot's messaging endpoint, e.g. http://127.0.0.1:3978/api/messages (auth disabled in development). */
  readonly botEndpoint: string;
  /** This server's base URL, e.g. http://127.0.0.1:3978; activities get serviceUrl = selfBaseUrl + '/devchannel/connector/'. */
  readonly selfBaseUrl: string;
  listOutbox(): readonly OutboxItem[];
  demoUsers(): readonly DemoUser[];
  /** The demo user's states for the picker, read live (absent: the page shows none). */
  readonly describeUser?: (user: DemoUser) => Promise<readonly DemoUserState[]>;
  /** Does the demo directory accept this password for this user (a sign-in attempt)? Absent = route answers 400. */
  readonly verifyPassword?: (objectId: string, password: string) => Promise<boolean>;
  readonly logger: DevChannelLogger;
  /** Folder holding the built pages (dist/web); found automatically when omitted. */
  readonly webRoot?: string;
  /** Milliseconds since the epoch; `Date.now` when omitted. */
  readonly now?: () => number;
  /** Timeout of one POST to the bot. Default 30 s. */
  readonly botTimeoutMs?: number;
  /** Told of every activity the bot sends (post) or updates (put), with its id: the tests' transcript scan (R35). */
  readonly onBotActivity?: (entry: { readonly op: 'post' | 'put'; readonly id: string; readonly activity: Record<string, unknown> }) => void;
}

/** Shared by the route modules. */
export interface DevChannelContext {
  readonly deps: DevChannelDeps;
  readonly conversations: DevConversations;
  readonly serviceUrl: string;
  readonly now: () => number;
  /** POSTs an activity to the bot; resolves to the HTTP status and parsed body (invoke responses). */
  postToBot(activity: Record<string, unknown>): Promise<{ status: number; body: unknown }>;
}

/** Throws unless the server runs in development mode. Call before `registerDevChannel`. */
export function assertDevelopment(mode: string): void {
  if (mode !== 'development') {
    throw new SsprError('forbidden', 'The development channel (local Web Chat and Direct Line) is refused outside SSPR_MODE=development.');
  }
}

/**
 * What the composition root calls: registers the development channel in development mode and nothing at all in
 * production mode (so `/`, `/v3/directline/*`, `/devchannel/*` answer 404 there).
 */
export function registerDevChannelIfDevelopment(mode: 'development' | 'production', server: Server, deps: DevChannelDeps): { close(): void } | undefined {
  if (mode !== 'development') return undefined;
  assertDevelopment(mode);
  return registerDevChannel(server, deps);
}

/**
 * Adds the development channel's routes to `server`:
 * Direct Line 3.0 under `/v3/directline/…`, the connector the bot calls back under `/devchannel/connector/…`,
 * the page at `/` and `/devchat/*`, and `/devchannel/outbox` and `/devchannel/config` for the page.
 */
export function registerDevChannel(server: Server, deps: DevChannelDeps): { close(): void } {
  const now = deps.now ?? Date.now;
  const conversations = new DevConversations(now);
  const serviceUrl = `${deps.selfBaseUrl.replace(/\/+$/, '')}/devchannel/connector/`;
  const botTimeoutMs = deps.botTimeoutMs ?? 30_000;
  const controller = new AbortController();

  const postToBot = async (activity: Record<string, unknown>): Promise<{ status: number; body: unknown }> => {
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(botTimeoutMs)]);
    const res = await fetch(deps.botEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(activity),
      signal,
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      body = undefined;
    }
    // Type and status only: activity text and values may carry codes or answers.
    deps.logger.info({ type: activity.type, name: activity.name, status: res.status }, 'devchannel: activity delivered to bot');
    return { status: res.status, body };
  };

  const ctx: DevChannelContext = { deps, conversations, serviceUrl, now, postToBot };
  registerDirectLineRoutes(server, ctx);
  registerConnectorRoutes(server, ctx);
  registerPageRoutes(server, ctx);
  deps.logger.info({ url: `${deps.selfBaseUrl.replace(/\/+$/, '')}/` }, 'devchannel: local Web Chat ready');

  return {
    close(): void {
      controller.abort();
      conversations.clear();
    },
  };
}
