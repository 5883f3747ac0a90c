import { randomBytes } from 'node:crypto';

/** A user of the demo directory, as the development page offers it. */
export interface DemoUser {
  readonly tenantId: string;
  readonly objectId: string;
  readonly name: string;
  readonly upn: string;
  readonly note?: string;
}

export type DevConversationKind = 'personal' | 'helpdesk';

/** A Bot Framework activity as it travels through the development channel (loosely typed on purpose: it is JSON). */
export type ChannelActivity = Record<string, unknown> & { id?: string; type?: string };

/** One development conversation: the demo user the bot sees, the locale, and the Direct Line activity stream. */
export interface DevConversation {
  readonly id: string;
  readonly user: DemoUser;
  /** `personal`: the user's 1:1 chat with the bot; `helpdesk`: the demo helpdesk team channel, seen as this agent. */
  readonly kind: DevConversationKind;
  readonly locale: string;
  /** Append-only log; the watermark is the number of entries a client has seen. Updates re-append the same id. */
  readonly stream: ChannelActivity[];
  /** Entries dropped from the front of the stream (bounded memory); watermarks stay absolute. */
  dropped: number;
  /** Whether the conversation was started by a Direct Line client (the bot was told it was added). */
  started: boolean;
  lastUsed: number;
  nextSeq: number;
}

interface TokenEntry {
  readonly conversationId: string;
  readonly expiresAt: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
}

/** The bot's Teams-like id in the development channel. */
export const DEV_BOT_ID = '28:sspr-dev-bot';

const TOKEN_TTL_SECONDS = 3600;
/** Bounds (issue 16: fuzzing grew the process by hundreds of MB): stream entries kept and live tokens per conversation. */
export const MAX_STREAM_ENTRIES = 500;
export const MAX_TOKENS_PER_CONVERSATION = 8;

/**
 * In-memory conversations and Direct Line tokens of the development channel (one instance per server, development
 * mode only). Bounded: the least recently used conversation is dropped beyond `maxConversations`.
 */
export class DevConversations {
  private readonly conversations = new Map<string, DevConversation>();
  private readonly tokens = new Map<string, TokenEntry>();

  constructor(
    private readonly now: () => number,
    private readonly maxConversations = 50,
  ) {}

  create(user: DemoUser, locale: string, kind: DevConversationKind = 'personal'): DevConversation {
    const conversation: DevConversation = {
      id: `dev-${randomBytes(12).toString('base64url')}`,
      user,
      kind,
      locale,
      stream: [],
      dropped: 0,
      started: false,
      lastUsed: this.now(),
      nextSeq: 1,
    };
    this.conversations.set(conversation.id, conversation);
    this.evict();
    return conversation;
  }

  get(id: string): DevConversation | undefined {
    const c = this.conversations.get(id);
    if (c) c.lastUsed = this.now();
    return c;
  }

  /** The most recently used personal conversation of a user (Teams keeps one personal chat per user and bot). */
  findByUser(matches: (user: DemoUser) => boolean): DevConversation | undefined {
    let best: DevConversation | undefined;
    for (const c of this.conversations.values()) {
      if (c.kind === 'personal' && matches(c.user) && (!best || c.lastUsed >= best.lastUsed)) best = c;
    }
    return best;
  }

  issueToken(conversationId: string): IssuedToken {
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { conversationId, expiresAt: this.now() + TOKEN_TTL_SECONDS * 1000 });
    this.pruneTokens();
    // A client refreshing in a loop keeps only its newest tokens (Map order is issue order).
    const own = [...this.tokens].filter(([, e]) => e.conversationId === conversationId);
    for (const [old] of own.slice(0, Math.max(0, own.length - MAX_TOKENS_PER_CONVERSATION))) this.tokens.delete(old);
    return { token, expiresIn: TOKEN_TTL_SECONDS };
  }

  /** The conversation a bearer token is bound to, or undefined when the token is unknown or expired. */
  conversationOfToken(authorization: string | undefined): string | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const token = match?.[1];
    if (!token) return undefined;
    const entry = this.tokens.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.tokens.delete(token);
      return undefined;
    }
    return entry.conversationId;
  }

  /** Appends an activity with a new id (unless it has one already, as an update does) and returns that id. */
  append(conversation: DevConversation, activity: ChannelActivity): string {
    const id = activity.id ?? this.newActivityId(conversation);
    conversation.stream.push({ ...activity, id });
    if (conversation.stream.length > MAX_STREAM_ENTRIES) {
      const excess = conversation.stream.length - MAX_STREAM_ENTRIES;
      conversation.stream.splice(0, excess);
      conversation.dropped += excess;
    }
    return id;
  }

  newActivityId(conversation: DevConversation): string {
    return `${conversation.id}|${String(conversation.nextSeq++).padStart(7, '0')}`;
  }

  /** The newest version of an activity in the stream. */
  latest(conversation: DevConversation, activityId: string): ChannelActivity | undefined {
    for (let i = conversation.stream.length - 1; i >= 0; i--) {
      const a = conversation.stream[i];
      if (a?.id === activityId) return a;
    }
    return undefined;
  }

  /** Activities after `watermark` and the new watermark (Direct Line 3.0 semantics). */
  since(conversation: DevConversation, watermark: string | undefined): { activities: ChannelActivity[]; watermark: string } {
    const end = conversation.dropped + conversation.stream.length;
    const seen = /^\d{1,15}$/.test(watermark ?? '') ? Math.min(Number(watermark), end) : 0;
    return { activities: conversation.stream.slice(Math.max(0, seen - conversation.dropped)), watermark: String(end) };
  }

  clear(): void {
    this.conversations.clear();
    this.tokens.clear();
  }

  private evict(): void {
    while (this.conversations.size > this.maxConversations) {
      let oldest: DevConversation | undefined;
      for (const c of this.conversations.values()) if (!oldest || c.lastUsed < oldest.lastUsed) oldest = c;
      if (!oldest) return;
      this.conversations.delete(oldest.id);
      for (const [token, entry] of this.tokens) if (entry.conversationId === oldest.id) this.tokens.delete(token);
    }
  }

  private pruneTokens(): void {
    const now = this.now();
    for (const [token, entry] of this.tokens) {
      if (entry.expiresAt <= now || !this.conversations.has(entry.conversationId)) this.tokens.delete(token);
    }
  }
}
