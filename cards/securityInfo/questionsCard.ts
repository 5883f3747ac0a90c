import { card, heading, paragraph, submit, type AdaptiveCard, type CardElement } from '../adaptiveCard';
import type { SecurityInfoCardView } from './view';

export interface QuestionsView extends SecurityInfoCardView {
  /** How many questions to register (policy, 3–5). */
  readonly count: number;
  readonly questions: readonly { readonly id: string; readonly text: string }[];
  readonly error?: string;
}

/** R13: pick N different questions and answer each (the card is replaced after submit so answers don't stay). */
export function buildQuestionsCard(view: QuestionsView): AdaptiveCard {
  const { t, flowId } = view;
  const body: CardElement[] = [heading(t('securityInfo.questions.title')), paragraph(t('securityInfo.questions.body', { count: view.count }))];
  if (view.error) body.push(paragraph(view.error, { color: 'Attention' }));
  for (let i = 1; i <= view.count; i++) {
    body.push({
      type: 'Input.ChoiceSet',
      id: `q${i}`,
      label: t('securityInfo.questions.question', { n: i }),
      style: 'compact',
      isRequired: true,
      errorMessage: t('securityInfo.questions.problem.wrong_count'),
      value: view.questions[i - 1]?.id ?? '',
      choices: view.questions.map((q) => ({ title: q.text, value: q.id })),
    });
    body.push({ type: 'Input.Text', id: `a${i}`, label: t('securityInfo.questions.answer', { n: i }), style: 'Password', isRequired: true, maxLength: 40, errorMessage: t('securityInfo.questions.problem.wrong_count') });
  }
  return card(body, [submit(t('securityInfo.action.save'), { verb: 'si.questions', flowId }, 'positive'), submit(t('securityInfo.action.back'), { verb: 'si.back', flowId })]);
}
