import { card, heading, paragraph, submit, type AdaptiveCard, type CardAction, type CardElement } from '../adaptiveCard';
import type { Translator } from '../../locales';

/** The rules as the card states them (same shape as the password policy's PasswordRules). */
export interface NewPasswordRules {
  readonly minLength: number;
  readonly maxLength: number;
  readonly recommendedLength: number;
  readonly requiresThreeOfFourClasses: boolean;
  readonly asciiOnly: boolean;
}

export interface NewPasswordView {
  readonly t: Translator;
  readonly flowId: string;
  /** The effective rules, said up front (R14). */
  readonly rules: NewPasswordRules;
  /** Why the previous try was refused (localised lines); never the password. */
  readonly problems?: readonly string[];
  /** Advice lines (strength, length). */
  readonly advice?: readonly string[];
  /** A Teams dialog page for password entry, when deployed: offered as the preferred path. */
  readonly secureWindowUrl?: string;
}

/**
 * "Choose a new password": the rules, then two masked inputs (R15). The dialog replaces this card right after the
 * submit so the values do not stay in the chat.
 */
export function buildNewPasswordCard(view: NewPasswordView): AdaptiveCard {
  const { t, rules } = view;
  const body: CardElement[] = [heading(t('reset.password.title'))];
  if (view.problems?.length) {
    body.push(paragraph(t('reset.password.notAccepted'), { color: 'Attention', weight: 'Bolder' }));
    body.push(paragraph(view.problems.map((p) => `- ${p}`).join('\n'), { color: 'Attention' }));
  }
  body.push(paragraph(t('password.rules', { min: rules.minLength, max: rules.maxLength, recommended: rules.recommendedLength })));
  if (rules.requiresThreeOfFourClasses || rules.asciiOnly) body.push(paragraph(t('password.rules.entra')));
  for (const a of view.advice ?? []) body.push(paragraph(a, { isSubtle: true }));
  body.push(paragraph(t('reset.password.privacy'), { isSubtle: true, size: 'Small' }));
  body.push(
    { type: 'Input.Text', id: 'newPassword', style: 'password', label: t('reset.password.new'), isRequired: true, errorMessage: t('reset.password.required') },
    { type: 'Input.Text', id: 'confirmPassword', style: 'password', label: t('reset.password.confirm'), isRequired: true, errorMessage: t('reset.password.confirmRequired') },
  );
  const actions: CardAction[] = [submit(t('reset.password.submit'), { verb: 'reset.password', flowId: view.flowId }, 'positive')];
  if (view.secureWindowUrl) {
    actions.unshift({
      ...submit(t('reset.password.secureWindow'), { msteams: { type: 'task/fetch' }, verb: 'openPasswordDialog', flowId: view.flowId }),
      associatedInputs: 'none',
    });
  }
  return card(body, actions);
}
