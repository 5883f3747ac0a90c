import { card, heading, paragraph, submit, type AdaptiveCard } from '../adaptiveCard';
import type { SecurityInfoCardView } from './view';

export interface TotpEnrolmentView extends SecurityInfoCardView {
  readonly qrDataUri: string;
  readonly keyText: string;
}

/** R12: scan the QR code (or type the key) into an authenticator app, then enter the code it shows. */
export function buildTotpEnrolmentCard(view: TotpEnrolmentView): AdaptiveCard {
  const { t, flowId } = view;
  return card(
    [
      heading(t('securityInfo.totp.title')),
      paragraph(t('securityInfo.totp.scan')),
      { type: 'Image', url: view.qrDataUri, altText: t('securityInfo.totp.qrAlt'), size: 'Large' },
      paragraph(t('securityInfo.totp.key', { key: view.keyText }), { fontType: 'Monospace' }),
      { type: 'Input.Text', id: 'code', label: t('securityInfo.totp.codeLabel'), isRequired: true, maxLength: 32, errorMessage: t('securityInfo.code.required') },
    ],
    [submit(t('securityInfo.action.submitCode'), { verb: 'si.totp', flowId }, 'positive'), submit(t('securityInfo.action.back'), { verb: 'si.back', flowId })],
  );
}
