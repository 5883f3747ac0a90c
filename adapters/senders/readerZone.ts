import { AsyncSlot } from '../asyncSlot';
import type { CodeMessage, CodeSender, NotificationMessage, Notifier } from '../../domain/ports/codeSender';
import type { UserRef } from '../../domain/model/user';

/**
 * The time zone of the person a message is for. A chat turn knows it (Teams and Web Chat send `localTimezone`), but
 * the domain that decides to send a code or a notice does not carry it, and should not have to: the bot layer runs
 * each turn inside `withReaderZone`, and the senders below read it from there when they render the words. Outside a
 * turn (a dialog page's API call, a background job) the zone is looked up from the user's stored conversation
 * reference, which holds the zone of their last turn.
 */
const turnZone = new AsyncSlot<string | null>();
/** The turn's locale tag (en-US, nl-NL …): the mail's clock is the chat's clock (locales/times.ts). */
const turnTag = new AsyncSlot<string | null>();

export function withReaderZone<T>(zone: string | null, run: () => T, tag: string | null = null): T {
  return turnTag.run(tag, () => turnZone.run(zone, run));
}

/** The current turn's locale tag, if a turn named one. */
export function currentReaderTag(): string | null {
  return turnTag.get() ?? null;
}

/** The current turn's zone: a string, null (the turn named none), or undefined (not inside a turn). */
export function currentReaderZone(): string | null | undefined {
  return turnZone.get();
}

export type ZoneLookup = (user: UserRef) => Promise<string | null>;

async function zoneFor(given: string | undefined, user: UserRef | undefined, lookup: ZoneLookup | undefined): Promise<string | undefined> {
  if (given !== undefined) return given;
  const inTurn = currentReaderZone();
  if (inTurn !== undefined) return inTurn ?? undefined;
  if (!user || !lookup) return undefined;
  return (await lookup(user).catch(() => null)) ?? undefined;
}

/** A CodeSender that adds the reader's zone to each message (the e-mail says until when the code is valid). */
export function zonedCodeSender(inner: CodeSender, lookup?: ZoneLookup): CodeSender {
  return {
    send: async (m: CodeMessage) => {
      const timeZone = await zoneFor(m.timeZone, m.user, lookup);
      const localeTag = m.localeTag ?? currentReaderTag() ?? undefined;
      return inner.send({ ...m, ...(timeZone ? { timeZone } : {}), ...(localeTag ? { localeTag } : {}) });
    },
  };
}

/** A Notifier that adds the reader's zone to each notice (R18: "changed on 1 December 2026 at 16:45 CET"). */
export function zonedNotifier(inner: Notifier, lookup?: ZoneLookup): Notifier {
  return {
    notify: async (m: NotificationMessage) => {
      const timeZone = await zoneFor(m.timeZone, m.user, lookup);
      const localeTag = m.localeTag ?? currentReaderTag() ?? undefined;
      return inner.notify({ ...m, ...(timeZone ? { timeZone } : {}), ...(localeTag ? { localeTag } : {}) });
    },
  };
}
