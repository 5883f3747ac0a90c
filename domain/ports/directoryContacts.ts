import type { UserRef } from '../model/user';

/** Contact data the organisation holds for a user (unconfirmed until the user proves control of it). */
export interface DirectoryContactData {
  readonly mobilePhones: readonly string[];
  readonly officePhones: readonly string[];
  readonly emails: readonly string[];
}

/**
 * What security info needs from the directory (R31): the contact data for pre-fill and the bootstrap, and the
 * user's own directory mailbox, which is told of every change. Implemented over the Directory port by the bot layer.
 */
export interface DirectoryContactsReader {
  /** The user's contact data; empty lists when the directory has none or does not know the user. */
  contacts(user: UserRef): Promise<DirectoryContactData>;
  /** The user's directory mailbox (mail / UPN), or null. */
  mailbox(user: UserRef): Promise<string | null>;
}
