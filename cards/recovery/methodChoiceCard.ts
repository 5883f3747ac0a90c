import { card, heading, paragraph, submit, type AdaptiveCard } from '../adaptiveCard';
import type { Translator } from '../../locales';

export interface MethodChoiceView {
  readonly t: Translator;
  readonly flowId: string;
  /** Already-labelled choices (masked destinations only). */
  readonly options: readonly { readonly id: string; readonly label: string }[];
  /** Which method this is (1 or 2) of how many the policy needs. */
  readonly step: number;
  readonly total: number;
  readonly intro?: string;
}

/** "Verify it's you": one button per method the user may prove now. */
export function buildMethodChoiceCard(view: MethodChoiceView): AdaptiveCard {
  const { t } = view;
  const body = [heading(t('verify.choose.title')), paragraph(t('verify.choose.body', { step: view.step, total: view.total }))];
  if (view.intro) body.unshift(paragraph(view.intro));
  return card(
    body,
    view.options.map((o) => submit(o.label, { verb: 'verify.choose', flowId: view.flowId, methodId: o.id })),
  );
}
