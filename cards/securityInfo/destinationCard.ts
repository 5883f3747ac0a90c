import { card, heading, paragraph, submit, type AdaptiveCard, type CardElement } from '../adaptiveCard';
import type { SecurityInfoCardView } from './view';

export interface DestinationView extends SecurityInfoCardView {
  readonly kind: 'mobilePhone' | 'officePhone' | 'email';
  /** Phones: countries for a nationally typed number; the first is the default. */
  readonly countries: readonly string[];
  readonly error?: string;
}

/** Enter the phone number (with a country for national numbers) or the e-mail address to register. */
export function buildDestinationCard(view: DestinationView): AdaptiveCard {
  const { t, flowId, kind } = view;
  const phone = kind !== 'email';
  const body: CardElement[] = [heading(t(`securityInfo.destination.title.${kind}`))];
  if (view.error) body.push(paragraph(view.error, { color: 'Attention' }));
  body.push(paragraph(t(phone ? 'securityInfo.destination.phoneHelp' : 'securityInfo.destination.emailHelp')));
  if (phone && view.countries.length) {
    body.push({
      type: 'Input.ChoiceSet',
      id: 'country',
      label: t('securityInfo.destination.country'),
      style: 'compact',
      value: view.countries[0],
      choices: view.countries.map((c) => ({ title: t(`securityInfo.country.${c}`), value: c })),
    });
  }
  body.push({
    type: 'Input.Text',
    id: 'destination',
    label: t(phone ? 'securityInfo.destination.phoneLabel' : 'securityInfo.destination.emailLabel'),
    style: phone ? 'Tel' : 'Email',
    isRequired: true,
    maxLength: phone ? 40 : 254,
    errorMessage: t('securityInfo.destination.required'),
  });
  return card(body, [submit(t('securityInfo.action.sendCode'), { verb: 'si.destination', flowId }, 'positive'), submit(t('securityInfo.action.back'), { verb: 'si.back', flowId })]);
}
