import { card, heading, paragraph, submit, type AdaptiveCard, type CardElement } from '../adaptiveCard';
import { methodName, type SecurityInfoCardView } from './view';

export interface RemoveConfirmView extends SecurityInfoCardView {
  readonly methodId: string;
  readonly kind: string;
  readonly maskedDestination?: string;
  /** R4: removing it leaves too few methods for a reset. */
  readonly breaksReset: boolean;
}

/** "Remove Mobile phone •••78?" with a warning when a reset would no longer be possible. */
export function buildRemoveConfirmCard(view: RemoveConfirmView): AdaptiveCard {
  const { t, flowId } = view;
  const body: CardElement[] = [heading(t('securityInfo.remove.title', { method: methodName(t, view.kind, view.maskedDestination) }))];
  if (view.breaksReset) body.push(paragraph(t('securityInfo.remove.warning'), { color: 'Attention', weight: 'Bolder' }));
  return card(body, [
    submit(t('securityInfo.remove.confirm'), { verb: 'si.removeConfirm', flowId, methodId: view.methodId }, 'destructive'),
    submit(t('securityInfo.action.back'), { verb: 'si.back', flowId }),
  ]);
}
