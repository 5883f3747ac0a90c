import type { CloudAdapter, ConversationReference } from 'botbuilder';
import type { UserRef } from '../domain/model/user';
import type { NotificationEvent, Notifications } from '../domain/ports/notifications';
import type { ConversationRefStore } from '../domain/ports/conversationRefs';
import type { MethodStore } from '../domain/ports/methodStore';
import type { Notifier, NotificationMessage, SecurityInfoChange } from '../domain/ports/codeSender';
import { changeText } from '../adapters/senders/messageText';
import { namedTime, type Reader } from '../locales/times';
import { resolveLocale, t, type Locale } from '../locales';
import type { Logger } from './logger';
import type { TeamsSender } from './teamsSender';

const MAIL_TEMPLATE: Partial<Record<NotificationEvent, NotificationMessage['template']>> = {
  password_reset: 'passwordReset',
  account_unlocked: 'accountUnlocked',
  // methods_changed: the security-info use-cases mail (and text) every registered channel themselves, with what
  // changed (domain/securityInfo/proofGate.ts notifyChange); mailing here as well would send each address two.
};

/** Events the user sees happen in the chat they did them in. */
const ACTED_IN_CHAT: ReadonlySet<NotificationEvent> = new Set<NotificationEvent>(['password_reset', 'account_unlocked', 'methods_changed', 'methods_bootstrap']);

export interface TeamsNotificationsDeps {
  readonly adapter: CloudAdapter;
  readonly appId: string;
  readonly refs: ConversationRefStore;
  readonly methods: MethodStore;
  readonly mail: Notifier;
  readonly logger: Logger;
  /** The rate-limited, retrying sender (Teams limits, 429/412/502/504); without it the adapter sends directly. */
  readonly sender?: Pick<TeamsSender, 'send'>;
  /** The time the notice names ("on 1 December 2026 at 20:41 CET"); the system clock without it. */
  readonly clock?: { now(): number };
}

/**
 * R18, the Teams message about a security-info change: what changed (kind, added/removed/replaced, the masked
 * destination at most), when (zone named: it is read later too), and what to do if it was not them — it stays in the
 * chat, where the real user may read it after someone else used their Teams session (R31).
 */
function securityInfoNotice(locale: Locale, change: SecurityInfoChange, reader: Reader, now: number): string {
  const what = changeText(locale, change);
  const line = t(locale, 'notify.methods_changed.detail', { change: what.charAt(0).toLocaleUpperCase(locale) + what.slice(1), when: namedTime(reader, now, reader.zone, { date: true }) });
  return `**${t(locale, 'notify.methods_changed.title')}**\n\n${line}\n\n${t(locale, 'notify.methods_changed.notYou')}`;
}

/**
 * R18: after a reset, unlock, method change or helpdesk-started flow the user gets a message in their 1:1 Teams chat
 * and an e-mail at every confirmed registered address, with "wasn't you?" guidance and no secrets.
 * Delivery problems are logged (with the correlation id), never thrown into the user's flow.
 */
export class TeamsNotifications implements Notifications {
  constructor(private readonly deps: TeamsNotificationsDeps) {}

  private now(): number {
    return this.deps.clock ? this.deps.clock.now() : Date.now();
  }

  async notify(user: UserRef, event: NotificationEvent, correlationId: string, change?: SecurityInfoChange): Promise<void> {
    const ref = (await this.deps.refs.get(user).catch(() => null)) as Partial<ConversationReference> | null;
    const locale = resolveLocale(ref?.locale);
    // The mail's times in the zone of the user's last turn (already in hand: no second read of the reference).
    const zone = (ref as { localTimezone?: unknown } | null)?.localTimezone;
    const timeZone = typeof zone === 'string' ? { timeZone: zone } : {};
    // Every delivery is settled the moment it starts (true = delivered): a send that fails while this method still
    // awaits the method list must not sit as an unhandled rejection (it killed the process, issue 16).
    const sends: Promise<boolean>[] = [];
    const settle = (p: Promise<unknown>): Promise<boolean> =>
      p.then(
        () => true,
        () => false,
      );
    if (ref?.conversation && ref.serviceUrl) {
      // The Teams message reaches the person who just acted in this chat: a receipt. "If this wasn't you" is for the
      // other channels (e-mail, SMS) and for what someone else started (a helpdesk agent, failed attempts).
      const warn = ACTED_IN_CHAT.has(event) ? '' : `\n\n${t(locale, 'notify.notYou')}`;
      const text =
        event === 'methods_changed' && change?.kind
          ? securityInfoNotice(locale, change, { locale, tag: ref.locale, zone: typeof zone === 'string' ? zone : null }, this.now())
          : `**${t(locale, `notify.${event}.title`)}**\n\n${t(locale, `notify.${event}.body`)}${warn}`;
      const sender = this.deps.sender;
      sends.push(
        settle(
          sender
            ? sender.send(ref, text).then((r) => {
                if (!r.ok) throw new Error(`teams send ${r.reason}`);
              })
            : this.deps.adapter.continueConversationAsync(this.deps.appId, ref, async (ctx) => {
                await ctx.sendActivity(text);
              }),
        ),
      );
    }
    const template = MAIL_TEMPLATE[event];
    if (template) {
      const methods = await this.deps.methods.list(user).catch(() => []);
      for (const m of methods) {
        if (m.kind !== 'email' || m.confirmedAt === null) continue;
        sends.push(
          settle(
            this.deps.methods.get(user, m.id).then((entry) => {
              const to = entry?.secrets.destination;
              return to ? this.deps.mail.notify({ to, template, locale, params: {}, correlationId, user, ...timeZone }) : undefined;
            }),
          ),
        );
      }
    }
    const failed = (await Promise.all(sends)).filter((delivered) => !delivered).length;
    if (failed) this.deps.logger.warn({ correlationId, event, failed }, 'notification delivery failed');
  }
}
