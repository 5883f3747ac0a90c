import { card, heading, paragraph, submit, type AdaptiveCard } from '../adaptiveCard';
import { methodLabel, type SecurityInfoCardView } from './view';

export interface ProofChoiceView extends SecurityInfoCardView {
  readonly choices: readonly { readonly id: string; readonly kind: string; readonly maskedDestination?: string }[];
  /** R31 + R4: the second proof (a method of another kind) after a first one. */
  readonly second?: boolean;
}

/**
 * R19: "first prove it's you" — one button per confirmed method (a mobile phone by text or by call); with `second`,
 * "confirm a second method" (R31 + R4: the use-case then offers only methods of another kind).
 */
export function buildProofChoiceCard(view: ProofChoiceView): AdaptiveCard {
  const { t, flowId } = view;
  const label = (c: ProofChoiceView['choices'][number]): string => {
    const via = c.id.endsWith('~voice') ? ` (${t('securityInfo.via.voice')})` : c.id.endsWith('~sms') ? ` (${t('securityInfo.via.sms')})` : '';
    return methodLabel(t, c.kind, c.maskedDestination) + via;
  };
  return card(
    view.second
      ? [heading(t('securityInfo.proof.secondTitle')), paragraph(t('securityInfo.proof.secondBody'))]
      : [heading(t('securityInfo.proof.title')), paragraph(t('securityInfo.proof.body'))],
    [...view.choices.map((c) => submit(label(c), { verb: 'si.proveWith', flowId, choice: c.id })), submit(t('securityInfo.action.back'), { verb: 'si.back', flowId })],
  );
}
