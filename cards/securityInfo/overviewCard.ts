import { card, heading, paragraph, submit, type AdaptiveCard, type CardElement } from '../adaptiveCard';
import { methodLabel, type MethodLine, type SecurityInfoCardView } from './view';

export interface OverviewView extends SecurityInfoCardView {
  readonly methods: readonly MethodLine[];
  readonly canAdd: boolean;
  readonly enoughForReset: boolean;
  readonly required: number;
  readonly intro?: string;
}

/** The user's methods with masked destinations and status, each with change / remove / re-confirm actions. */
export function buildOverviewCard(view: OverviewView): AdaptiveCard {
  const { t, flowId } = view;
  const body: CardElement[] = [];
  if (view.intro) body.push(paragraph(view.intro));
  body.push(heading(t('securityInfo.overview.title')));
  if (view.methods.length === 0) body.push(paragraph(t('securityInfo.overview.none')));
  for (const m of view.methods) {
    const actions = [];
    // A registration left waiting for its code cannot be confirmed any more (its code is gone or will be): it starts
    // again, with a new code (si.change on a pending method adds the same kind afresh).
    if (m.status === 'pending') actions.push(submit(t('securityInfo.action.startAgain'), { verb: 'si.change', flowId, methodId: m.id }, 'positive'));
    else actions.push(submit(t('securityInfo.action.change'), { verb: 'si.change', flowId, methodId: m.id }));
    if (m.status === 'fromDirectory' || m.status === 'reconfirm')
      actions.push(submit(t('securityInfo.action.reconfirm'), { verb: 'si.reconfirm', flowId, methodId: m.id }, 'positive'));
    actions.push(submit(t('securityInfo.action.remove'), { verb: 'si.remove', flowId, methodId: m.id }, 'destructive'));
    body.push({
      type: 'Container',
      separator: true,
      items: [
        paragraph(methodLabel(t, m.kind, m.maskedDestination), { weight: 'Bolder' }),
        paragraph(t(`securityInfo.status.${m.status}`), { isSubtle: true, spacing: 'None' }),
        { type: 'ActionSet', actions },
      ],
    });
  }
  body.push(
    paragraph(view.enoughForReset ? t('securityInfo.overview.enough') : t('securityInfo.overview.notEnough', { required: view.required }), {
      spacing: 'Medium',
      ...(view.enoughForReset ? {} : { color: 'Attention' }),
    }),
  );
  const actions = [];
  if (view.canAdd) actions.push(submit(t('securityInfo.action.add'), { verb: 'si.add', flowId }, 'positive'));
  actions.push(submit(t('securityInfo.action.done'), { verb: 'si.done', flowId }));
  return card(body, actions);
}
