import { card, heading, paragraph, submit, type AdaptiveCard } from '../adaptiveCard';
import { methodName, type SecurityInfoCardView } from './view';

export interface BootstrapView extends SecurityInfoCardView {
  /** Pre-filled contact data the organisation holds (masked). */
  readonly choices: readonly { readonly methodId: string; readonly kind: string; readonly maskedDestination: string }[];
}

/** R31: "no methods yet — confirm contact details your organisation has for you" with one button per contact. */
export function buildBootstrapCard(view: BootstrapView): AdaptiveCard {
  const { t, flowId } = view;
  return card(
    [heading(t('securityInfo.bootstrap.title')), paragraph(t('securityInfo.bootstrap.body'))],
    [
      ...view.choices.map((c) => submit(t('securityInfo.bootstrap.sendTo', { method: methodName(t, c.kind, c.maskedDestination) }), { verb: 'si.bootstrapWith', flowId, methodId: c.methodId })),
      submit(t('securityInfo.action.back'), { verb: 'si.back', flowId }),
    ],
  );
}
