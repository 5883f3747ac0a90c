import { card, heading, paragraph, submit, type AdaptiveCard } from '../adaptiveCard';
import type { SecurityInfoCardView } from './view';

export interface CodeEntryView extends SecurityInfoCardView {
  /** si.code: registration code; si.proof: step-up proof; si.totp: authenticator code during re-confirmation. */
  readonly verb: 'si.code' | 'si.proof' | 'si.totp';
  readonly title: string;
  readonly prompt: string;
  readonly label: string;
}

/** One labelled code input and a submit button. */
export function buildCodeEntryCard(view: CodeEntryView): AdaptiveCard {
  const { t, flowId } = view;
  return card(
    [
      heading(view.title),
      paragraph(view.prompt),
      { type: 'Input.Text', id: 'code', label: view.label, isRequired: true, maxLength: 32, errorMessage: t('securityInfo.code.required') },
    ],
    [submit(t('securityInfo.action.submitCode'), { verb: view.verb, flowId }, 'positive'), submit(t('securityInfo.action.back'), { verb: 'si.back', flowId })],
  );
}
