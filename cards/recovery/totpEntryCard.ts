import { card, heading, paragraph, submit, type AdaptiveCard } from '../adaptiveCard';
import type { Translator } from '../../locales';

export interface TotpEntryView {
  readonly t: Translator;
  readonly flowId: string;
  readonly notice?: string;
  /** Whether another method can be chosen ("use another method" is offered only then). */
  readonly hasOther?: boolean;
}

/** "Authenticator app": a 6-digit input and "use another method". */
export function buildTotpEntryCard(view: TotpEntryView): AdaptiveCard {
  const { t, flowId } = view;
  const body = [
    heading(t('verify.totp.title')),
    paragraph(t('verify.totp.body')),
    { type: 'Input.Text', id: 'code', label: t('verify.code.label'), isRequired: true, maxLength: 10, errorMessage: t('verify.codeFormat') },
  ];
  if (view.notice) body.unshift(paragraph(view.notice, { color: 'Attention' }));
  return card(body, [
    submit(t('verify.code.submit'), { verb: 'verify.totp', flowId }, 'positive'),
    ...(view.hasOther === false ? [] : [submit(t('verify.other'), { verb: 'verify.other', flowId })]),
  ]);
}
