import type { TaskModuleRequest, TaskModuleResponse, TurnContext } from 'botbuilder';
import { z } from 'zod';
import { turnLocale, turnTranslator } from '../dialogs/turnLocale';

/** Card data that opens a page as a Teams dialog (task/fetch). */
export const TaskFetchData = z.discriminatedUnion('verb', [
  z.object({ verb: z.literal('openPasswordDialog'), flowId: z.string().regex(/^[0-9a-f]{32}$/) }).loose(),
  z.object({ verb: z.literal('openAuthenticatorDialog'), ticket: z.string().regex(/^[0-9a-f]{32}$/) }).loose(),
  z.object({ verb: z.literal('openRecoveryCodesDialog'), ticket: z.string().regex(/^[0-9a-f]{32}$/) }).loose(),
  z.object({ verb: z.literal('openSecurityInfo') }).loose(),
]);

/** What a page may hand back with dialog.url.submit — never a secret. */
export const TaskSubmitData = z.strictObject({
  verb: z.enum(['passwordDialogDone', 'authenticatorDialogDone', 'recoveryCodesDialogDone']),
  flowId: z.string().regex(/^[0-9a-f]{32}$/).optional(),
  status: z.enum(['done', 'pending', 'cancelled']).optional(),
});

export interface TaskModulesDeps {
  /** Absolute page URL (PagesApi.pageUrl). */
  readonly pageUrl: (page: 'password' | 'authenticator' | 'security-info', params?: Readonly<Record<string, string>>) => string;
}

/**
 * Teams dialogs (task modules): `task/fetch` for a card button whose data carries `{ verb: 'openPasswordDialog',
 * flowId }` (or `openAuthenticatorDialog` / `openRecoveryCodesDialog` + ticket) answers `continue` with the page URL; `task/submit` closes the
 * dialog (the page already posted its result to the API, and the outcome reaches the chat as a message).
 */
export class TaskModules {
  constructor(private readonly deps: TaskModulesDeps) {}

  fetch(context: TurnContext, request: TaskModuleRequest): TaskModuleResponse {
    const t = turnTranslator(context);
    const parsed = TaskFetchData.safeParse(request?.data);
    if (!parsed.success) return { task: { type: 'message', value: t('web.task.unavailable') } };
    const locale = turnLocale(context);
    const d = parsed.data;
    switch (d.verb) {
      case 'openPasswordDialog':
        return this.continue(this.deps.pageUrl('password', { flowId: d.flowId, locale }), t('web.password.title'), 560, 520);
      case 'openAuthenticatorDialog':
        return this.continue(this.deps.pageUrl('authenticator', { ticket: d.ticket, locale }), t('web.authenticator.title'), 620, 520);
      case 'openRecoveryCodesDialog':
        // The same page: the ticket says what it shows (R35).
        return this.continue(this.deps.pageUrl('authenticator', { ticket: d.ticket, locale, show: 'recoveryCodes' }), t('web.recoveryCodes.title'), 620, 520);
      case 'openSecurityInfo':
        return this.continue(this.deps.pageUrl('security-info', { locale }), t('web.securityInfo.title'), 600, 600);
    }
  }

  /** Closes the dialog. An invalid payload is ignored: the page's own API call is what counts, never this data. */
  submit(_context: TurnContext, request: TaskModuleRequest): TaskModuleResponse {
    TaskSubmitData.safeParse(request?.data);
    return {};
  }

  private continue(url: string, title: string, height: number, width: number): TaskModuleResponse {
    return { task: { type: 'continue', value: { url, title, height, width } } };
  }
}
