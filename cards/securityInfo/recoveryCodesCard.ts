import { card, heading, paragraph, submit, type AdaptiveCard } from '../adaptiveCard';
import type { SecurityInfoCardView } from './view';

export interface RecoveryCodesView extends SecurityInfoCardView {
  readonly codes: readonly string[];
}

/** Recovery codes, shown once; "I saved them" replaces this card. */
export function buildRecoveryCodesCard(view: RecoveryCodesView): AdaptiveCard {
  const { t, flowId } = view;
  return card(
    [
      heading(t('securityInfo.recovery.title')),
      paragraph(t('securityInfo.recovery.body')),
      paragraph(view.codes.join('\n\n'), { fontType: 'Monospace' }),
    ],
    [submit(t('securityInfo.recovery.saved'), { verb: 'si.codesSaved', flowId }, 'positive')],
  );
}
