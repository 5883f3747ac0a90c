import { card, heading, paragraph, submit, type AdaptiveCard, type CardAction } from '../adaptiveCard';
import type { Translator } from '../../locales';
import type { PrecheckReason } from '../../domain/recovery/startRecovery';

export interface PrecheckView {
  readonly t: Translator;
  /** What the user asked for; `verify` is a helpdesk caller verification (no retry or reset button). */
  readonly goal: 'reset' | 'unlock' | 'verify';
  readonly reason: PrecheckReason;
  /** How many methods the policy needs / the user has that count. */
  readonly required: number;
  readonly usable: number;
  /** The time verification may be tried again, already formatted in the user's time zone. */
  readonly retryAt?: string;
  /** How to reach the helpdesk (policy). */
  readonly contact: string;
}

type Step = 'register' | 'retry' | 'helpdesk' | 'reset' | 'menu';

/** What stands in the way, and the buttons that are the next step (R17 revised: the caller's own account). */
const PLAN: Readonly<Record<PrecheckReason, readonly Step[]>> = {
  not_registered: ['register', 'helpdesk'],
  insufficient_methods: ['register', 'helpdesk'],
  blocked: ['retry', 'helpdesk'],
  throttled: ['retry', 'helpdesk'],
  account_disabled: ['helpdesk'],
  user_unknown: ['helpdesk'],
  out_of_scope: ['helpdesk'],
  privileged_helpdesk: ['helpdesk'],
  directory_unreachable: ['retry'],
  unlock_not_supported: ['reset', 'helpdesk'],
  not_locked: ['reset', 'menu'],
  held: ['retry', 'helpdesk'],
};

/**
 * The pre-check's answer about the caller's own account: exactly what stands in the way (`precheck.<reason>.*`) and
 * the next step as buttons — register now, try again (at the time shown), talk to the helpdesk with what was tried,
 * or "did you mean reset?".
 */
export function buildPrecheckCard(view: PrecheckView): AdaptiveCard {
  const { t, reason, goal } = view;
  const params = { required: view.required, usable: view.usable, time: view.retryAt ?? '', contact: view.contact };
  const body = [heading(t(`precheck.${reason}.title`, params)), paragraph(t(`precheck.${reason}.body`, params))];
  const steps = PLAN[reason].filter((s) => goal !== 'verify' || s === 'register' || s === 'helpdesk');
  const tried = goal === 'verify' ? 'none' : goal;
  const actions: CardAction[] = steps.map((s) => {
    switch (s) {
      case 'register':
        return submit(t('precheck.action.register'), { verb: 'menu', choice: 'securityInfo' }, 'positive');
      case 'retry':
        return submit(view.retryAt ? t('precheck.action.retryAt', params) : t('precheck.action.retry'), { verb: 'menu', choice: tried === 'none' ? 'help' : tried });
      case 'helpdesk':
        return submit(t('precheck.action.helpdesk'), { verb: 'helpdesk', tried });
      case 'reset':
        return submit(t('precheck.action.reset'), { verb: 'menu', choice: 'reset' }, 'positive');
      case 'menu':
        return submit(t('precheck.action.menu'), { verb: 'menu', choice: 'help' });
    }
  });
  return card(body, actions);
}

export interface AccountCheckView {
  readonly t: Translator;
  readonly reset: PrecheckReason | 'ready';
  readonly unlock: PrecheckReason | 'ready';
  readonly locked: boolean | null;
  readonly required: number;
  readonly usable: number;
  readonly retryAt?: string;
  readonly contact: string;
  /** R3: an admin account; `questionsEnabled`: whether to say that security questions don't count for her. */
  readonly privileged?: boolean;
  readonly questionsEnabled?: boolean;
}

/** "Check my account": one line per thing that matters, and the one next step that helps most. */
export function buildAccountCheckCard(view: AccountCheckView): AdaptiveCard {
  const { t } = view;
  const params = { required: view.required, usable: view.usable, time: view.retryAt ?? '', contact: view.contact };
  const lines: string[] = [];
  lines.push(view.locked === true ? t('check.locked') : view.locked === false ? t('check.notLocked') : t('check.lockUnknown'));
  // R3, said before the count it explains: an admin always needs the stronger proof (the helpdesk route says so itself).
  if (view.privileged && view.reset !== 'privileged_helpdesk') {
    lines.push(`${t('check.privileged', params)}${view.questionsEnabled ? ` ${t('check.privileged.noQuestions')}` : ''}`);
  }
  lines.push(view.reset === 'ready' ? t('check.resetReady', params) : t(`precheck.${view.reset}.body`, params));
  const body = [heading(t('check.title')), paragraph(lines.map((l) => `- ${l}`).join('\n'))];
  const actions: CardAction[] = [];
  if (view.locked === true && view.unlock === 'ready') actions.push(submit(t('menu.unlock'), { verb: 'menu', choice: 'unlock' }, 'positive'));
  if (view.reset === 'ready') actions.push(submit(t('menu.reset'), { verb: 'menu', choice: 'reset' }));
  if (view.reset === 'not_registered' || view.reset === 'insufficient_methods') {
    actions.push(submit(t('precheck.action.register'), { verb: 'menu', choice: 'securityInfo' }, 'positive'));
  }
  if (view.reset !== 'ready') actions.push(submit(t('precheck.action.helpdesk'), { verb: 'helpdesk', tried: 'none' }));
  return card(body, actions);
}
