import { card, heading, paragraph, submit, type AdaptiveCard } from '../adaptiveCard';
import type { Translator } from '../../locales';

export interface RecoveryCodeEntryView {
  readonly t: Translator;
  readonly flowId: string;
  readonly notice?: string;
  /** Whether another method can be chosen ("use another method" is offered only then). */
  readonly hasOther?: boolean;
}

/** "Recovery code": one input and "use another method". */
export function buildRecoveryCodeEntryCard(view: RecoveryCodeEntryView): AdaptiveCard {
  const { t, flowId } = view;
  const body = [
    heading(t('verify.recovery.title')),
    paragraph(t('verify.recovery.body')),
    { type: 'Input.Text', id: 'code', label: t('verify.recovery.label'), isRequired: true, maxLength: 40, errorMessage: t('verify.recovery.required') },
  ];
  if (view.notice) body.unshift(paragraph(view.notice, { color: 'Attention' }));
  return card(body, [
    submit(t('verify.code.submit'), { verb: 'verify.recoveryCode', flowId }, 'positive'),
    ...(view.hasOther === false ? [] : [submit(t('verify.other'), { verb: 'verify.other', flowId })]),
  ]);
}
