import { card, heading, paragraph, submit, type AdaptiveCard } from '../adaptiveCard';
import type { Translator } from '../../locales';

export interface CodeEntryView {
  readonly t: Translator;
  readonly flowId: string;
  readonly maskedDestination: string;
  /** When the code stops working, already formatted for the user's locale. */
  readonly validUntil: string;
  /** A voice call is announced as a call ("I'm calling •••01"), a text or e-mail as sent. */
  readonly channel?: 'sms' | 'voice' | 'email';
  readonly notice?: string;
  /** Whether another method can be chosen ("use another method" is offered only then). */
  readonly hasOther?: boolean;
}

/** "Enter the code": a 6-digit input, "send a new code" and "use another method". */
export function buildCodeEntryCard(view: CodeEntryView): AdaptiveCard {
  const { t, flowId } = view;
  const body = [
    heading(t('verify.code.title')),
    paragraph(t(view.channel === 'voice' ? 'verify.code.bodyCall' : 'verify.code.body', { dest: view.maskedDestination, time: view.validUntil })),
    {
      type: 'Input.Text',
      id: 'code',
      label: t('verify.code.label'),
      isRequired: true,
      maxLength: 10,
      inputMode: 'numeric',
      errorMessage: t('verify.codeFormat'),
    },
  ];
  if (view.notice) body.unshift(paragraph(view.notice, { color: 'Attention' }));
  return card(body, [
    submit(t('verify.code.submit'), { verb: 'verify.code', flowId }, 'positive'),
    submit(t('verify.code.resend'), { verb: 'verify.resend', flowId }),
    ...(view.hasOther === false ? [] : [submit(t('verify.other'), { verb: 'verify.other', flowId })]),
  ]);
}
