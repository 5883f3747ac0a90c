import type { ConversationReference } from 'botbuilder';
import type { Server } from 'restify';
import { z } from 'zod';
import type { Logger } from '../logger';
import type { Services } from '../services';
import type { TeamsSender } from '../teamsSender';
import { resolveLocale, t, type Locale } from '../../locales';
import type { UserRef } from '../../domain/model/user';
import type { ConversationRefStore } from '../../domain/ports/conversationRefs';
import { passwordReasonKey } from '../../domain/policy/passwordPolicy';
import type { PasswordCheckResult } from '../../domain/policy/passwordPolicy';
import type { ResetAnswer } from '../../domain/recovery/chooseNewPassword';
import { ApiError, MAX_API_BODY_BYTES, refusal, routeParam, type ApiKit } from './http';

const FlowId = z.string().regex(/^[0-9a-f]{32}$/);
// Bounded by the body limit only: the password's own rules (length included) are the domain's (R14, R34).
const Password = z.string().min(1).max(MAX_API_BODY_BYTES);
const LocaleField = z.enum(['en', 'nl']).optional();
const CheckBody = z.strictObject({ flowId: FlowId, password: Password, locale: LocaleField });
const SubmitBody = z.strictObject({ password: Password, confirmation: Password.optional(), locale: LocaleField });

export interface PasswordRoutesDeps {
  readonly services: Services;
  readonly logger: Logger;
  readonly refs: ConversationRefStore;
  readonly sender: TeamsSender;
}

/**
 * The password dialog page's API: `/api/password/check` (R14, within the caller's own flow) and
 * `/api/flows/:flowId/password` — the same ChooseNewPassword use-case as the chat's masked card (R14, R16, R26, R27).
 * A write slower than the R26 deadline answers 202 and its outcome reaches the chat.
 */
export function registerPasswordRoutes(server: Server, kit: ApiKit, deps: PasswordRoutesDeps): void {
  const { services, logger } = deps;
  const choose = services.recovery.choose;
  const view = (check: PasswordCheckResult, locale: Locale) => {
    const rules = choose.rules();
    const params = { min: rules.minLength, max: rules.maxLength, recommended: rules.recommendedLength };
    return {
      ok: check.ok,
      reasons: check.reasons.map((r) => ({ id: r, text: t(locale, passwordReasonKey(r), params) })),
      advice: check.advice.map((a) => t(locale, a, params)),
      score: check.score,
    };
  };
  const chatRef = async (user: UserRef): Promise<Partial<ConversationReference> | null> =>
    (await deps.refs.get(user).catch(() => null));
  const tellChat = async (user: UserRef, locale: Locale, key: string, known?: Partial<ConversationReference> | null): Promise<void> => {
    const ref = known !== undefined ? known : await chatRef(user);
    const r = await deps.sender.send(ref, t(resolveLocale(ref?.locale ?? locale), key));
    if (!r.ok) logger.warn({ reason: r.reason, status: r.status }, 'pages api: chat outcome not delivered');
  };
  const outcomeKey = (answer: ResetAnswer): string => (answer.ok ? 'web.password.chat.done' : 'web.password.chat.failed');

  server.post(
    '/api/password/check',
    kit.handle(async (req, res) => {
      const user = await kit.identify(req);
      const b = kit.body(req, CheckBody);
      // The flow must be the caller's own: the check is part of that flow, not an open oracle.
      if (!(await services.recovery.deps.flows.get(user, b.flowId))) throw new ApiError(404, 'not_found');
      res.send(200, view(await choose.evaluate(user, b.password), kit.localeOf(req, b.locale)));
    }),
  );

  server.post(
    '/api/flows/:flowId/password',
    kit.handle(async (req, res) => {
      // The shape is checked before the caller is identified, so only a well-formed submit counts against the
      // user's write budget (a malformed body or flow id is refused without using it), as before issue 15's change.
      const flowId = FlowId.safeParse(routeParam(req, 'flowId'));
      if (!flowId.success) throw new ApiError(404, 'not_found');
      const b = kit.body(req, SubmitBody);
      // The flow and the chat's conversation reference (for telling the chat the outcome; it comes with the user's
      // record) are read in the round trip of the three limits (issue 15). The limits decide first: a caller over one
      // gets the same 429 whether the flow exists or not, and one without a valid session is never looked up.
      const {
        user,
        read: [flow, ref],
      } = await kit.identifyForWriteWith(req, (u) => Promise.all([services.recovery.deps.flows.get(u, flowId.data), chatRef(u)]));
      const locale = kit.localeOf(req, b.locale);
      if (!flow || flow.goal !== 'reset') throw new ApiError(404, 'not_found');
      const outcome = await choose.choose({
        user,
        conversationId: flow.conversationId,
        flowId: flow.flowId,
        newPassword: b.password,
        ...(b.confirmation === undefined ? {} : { confirmation: b.confirmation }),
        correlationId: kit.correlation(),
      });
      if (outcome.status === 'rejected') throw refusal('password_rejected', undefined, { reasons: view(outcome.check, locale).reasons });
      if (outcome.status === 'pending') {
        void outcome.later.then((answer) => tellChat(user, locale, outcomeKey(answer))).catch(() => undefined);
        return void res.send(202, { status: 'pending' });
      }
      const r = outcome.answer;
      if (r.ok) {
        // The page is answered now; the chat is told behind it. The message goes through the paced sender (per
        // tenant, shared with every R18 notice), whose queue can be longer than the page waits (issue 15).
        res.send(200, { status: 'done' });
        return void tellChat(user, locale, 'web.password.chat.done', ref).catch(() => undefined);
      }
      if (r.reason === 'pending') return void res.send(202, { status: 'pending' });
      const contact = services.recovery.deps.policy.helpdesk.contactText[locale];
      const detail = r.reason.startsWith('password_')
        ? { detail: t(locale, 'web.password.refusedByDirectory') }
        : r.reason === 'directory_denied'
          ? { detail: t(locale, 'recovery.directoryDenied', { contact }) }
          : {};
      throw refusal(r.reason === 'expired' ? 'grant_expired' : r.reason, r.reason === 'recovery_cap' ? r.retryAt : undefined, detail);
    }),
  );
}
