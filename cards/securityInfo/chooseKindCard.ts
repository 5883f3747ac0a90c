import { card, heading, submit, type AdaptiveCard } from '../adaptiveCard';
import type { SecurityInfoCardView } from './view';

export interface ChooseKindView extends SecurityInfoCardView {
  readonly kinds: readonly string[];
}

/** Which kind of method to add: one button per kind the policy enables and the user doesn't have yet. */
export function buildChooseKindCard(view: ChooseKindView): AdaptiveCard {
  const { t, flowId } = view;
  return card(
    [heading(t('securityInfo.chooseKind.title'))],
    [...view.kinds.map((k) => submit(t(`securityInfo.kind.${k}`), { verb: 'si.kind', flowId, kind: k })), submit(t('securityInfo.action.back'), { verb: 'si.back', flowId })],
  );
}
