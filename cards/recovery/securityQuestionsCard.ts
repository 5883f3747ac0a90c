import { card, heading, paragraph, submit, type AdaptiveCard } from '../adaptiveCard';
import type { Translator } from '../../locales';

export interface SecurityQuestionsView {
  readonly t: Translator;
  readonly flowId: string;
  /** The questions drawn for this flow (id + text in the user's language). */
  readonly questions: readonly { readonly id: string; readonly text: string }[];
  readonly notice?: string;
  /** Whether another method can be chosen ("use another method" is offered only then). */
  readonly hasOther?: boolean;
}

/** Input id of the answer to one question (`q_<questionId>`, read back by the dialog). */
export const answerInputId = (questionId: string): string => `q_${questionId}`;

/** "Security questions": one labelled input per drawn question. */
export function buildSecurityQuestionsCard(view: SecurityQuestionsView): AdaptiveCard {
  const { t, flowId } = view;
  const body = [
    heading(t('verify.questions.title')),
    paragraph(t('verify.questions.body')),
    ...view.questions.map((q) => ({ type: 'Input.Text', id: answerInputId(q.id), label: q.text, isRequired: true, maxLength: 100, errorMessage: t('verify.questions.required') })),
  ];
  if (view.notice) body.unshift(paragraph(view.notice, { color: 'Attention' }));
  return card(body, [
    submit(t('verify.code.submit'), { verb: 'verify.answers', flowId }, 'positive'),
    ...(view.hasOther === false ? [] : [submit(t('verify.other'), { verb: 'verify.other', flowId })]),
  ]);
}
