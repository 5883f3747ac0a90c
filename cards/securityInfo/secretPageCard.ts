import { card, heading, paragraph, submit, type AdaptiveCard } from '../adaptiveCard';
import type { SecurityInfoCardView } from './view';

export interface SecretPageView extends SecurityInfoCardView {
  /** What the dialog page shows once: an authenticator's QR code and key, or new recovery codes. */
  readonly purpose: 'authenticator' | 'recoveryCodes';
  /** The single-use ticket the page redeems (a reference, never the secret). */
  readonly ticket: string;
}

/**
 * R35: the chat card that opens the dialog page (a Teams dialog, task/fetch) where the secret is shown once. The card
 * itself never holds a QR code, key or recovery code.
 */
export function buildSecretPageCard(view: SecretPageView): AdaptiveCard {
  const { t, flowId } = view;
  const authenticator = view.purpose === 'authenticator';
  return card(
    [
      heading(t(authenticator ? 'securityInfo.totp.title' : 'securityInfo.recovery.title')),
      paragraph(t(authenticator ? 'securityInfo.page.authenticator' : 'securityInfo.page.recoveryCodes')),
    ],
    [
      {
        ...submit(t(authenticator ? 'securityInfo.page.openAuthenticator' : 'securityInfo.page.openRecoveryCodes'), {
          msteams: { type: 'task/fetch' },
          verb: authenticator ? 'openAuthenticatorDialog' : 'openRecoveryCodesDialog',
          ticket: view.ticket,
        }),
        style: 'positive',
        associatedInputs: 'none',
      },
      submit(t('securityInfo.action.back'), { verb: 'si.back', flowId }),
    ],
  );
}
