import type { UserRef } from '../model/user';

/**
 * The channel's address of a user's 1:1 chat, stored so the bot can message them proactively (helpdesk hand-off,
 * background results, notifications). Opaque to the domain: the bot layer stores Bot Framework ConversationReferences.
 */
export interface ConversationRefStore {
  /** Save or refresh (every turn: the service URL can change). */
  save(user: UserRef, reference: Readonly<Record<string, unknown>>): Promise<void>;
  get(user: UserRef): Promise<Readonly<Record<string, unknown>> | null>;
}
