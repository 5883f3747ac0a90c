import type { Locale, Translator } from '../locales';
import type { UserRef } from '../domain/model/user';
import type { Policy } from '../domain/policy/policy';
import type { StartPublicReason } from '../domain/recovery/startRecovery';

/**
 * Delivers a message to the user's 1:1 chat after the turn that started the work has ended (R26: a directory call
 * slower than 2 s finishes in the background). Implemented by the bot layer with the stored ConversationReference.
 */
export interface LaterDelivery {
  deliver(user: UserRef, text: string): Promise<void>;
}

/**
 * The doctor's refusal in plain words (R17): one text for every account-related reason, naming every remedy
 * (register, wait, helpdesk), so the words never tell an attacker which case applies.
 */
export function doctorRefusalText(t: Translator, policy: Policy, locale: Locale, reason: StartPublicReason): string {
  const contact = policy.helpdesk.contactText[locale];
  switch (reason) {
    case 'cannot_continue':
      return t('recovery.cannotContinue', { count: policy.methods.requiredForReset, contact });
    case 'temporarily_unavailable':
      return t('recovery.temporarilyUnavailable');
    case 'unlock_not_supported':
      return t('recovery.unlockNotSupported', { contact });
  }
}
