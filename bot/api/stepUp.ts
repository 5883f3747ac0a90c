import type { Server } from 'restify';
import { z } from 'zod';
import type { SecurityInfoUseCases } from '../../domain/securityInfo';
import { responseFor } from '../../domain/securityInfo/stepUpProof';
import { ApiError, refusal, routeParam, type ApiKit } from './http';

const ChoiceId = z.string().regex(/^[A-Za-z0-9_~-]{1,80}$/);
const LocaleField = z.enum(['en', 'nl']).optional();
const EmptyBody = z.strictObject({ locale: LocaleField });
// Bounded only: the code format is the domain's (R34).
const CodeBody = z.strictObject({ code: z.string().max(64), locale: LocaleField });

/**
 * R31 step-up from the tab: the same StepUpProof as the chat (R9 counted, block honoured, R34); a success holds for
 * this user on every surface for 10 minutes.
 */
export function registerStepUpRoutes(server: Server, kit: ApiKit, uc: SecurityInfoUseCases): void {
  const choiceOf = (req: Parameters<ApiKit['identify']>[0]): string => {
    const c = ChoiceId.safeParse(routeParam(req, 'choice'));
    if (!c.success) throw new ApiError(404, 'not_found');
    return c.data;
  };

  server.get(
    '/api/stepup',
    kit.handle(async (req, res) => {
      const user = await kit.identify(req);
      const choices = (await uc.stepUp.choices({ user })).map((m) => ({ id: m.id, kind: m.kind, ...(m.maskedDestination ? { maskedDestination: m.maskedDestination } : {}) }));
      res.send(200, { needed: await uc.stepUp.needed({ user }), choices });
    }),
  );

  server.post(
    '/api/stepup/:choice',
    kit.handle(async (req, res) => {
      const user = await kit.identify(req);
      const choice = choiceOf(req);
      const b = kit.body(req, EmptyBody);
      await kit.write(user);
      const r = await uc.stepUp.challenge({ user, locale: kit.localeOf(req, b.locale), flowId: kit.correlation() }, choice);
      if (!r.ok) throw refusal(r.reason, r.retryAt);
      res.send(200, r.value.kind === 'code_sent' ? { status: 'code_sent', maskedDestination: r.value.maskedDestination } : { status: 'enter_code' });
    }),
  );

  server.post(
    '/api/stepup/:choice/check',
    kit.handle(async (req, res) => {
      const user = await kit.identify(req);
      const choice = choiceOf(req);
      const b = kit.body(req, CodeBody);
      await kit.write(user);
      const method = (await uc.stepUp.choices({ user })).find((m) => m.id === choice);
      if (!method) throw new ApiError(404, 'not_found');
      const r = await uc.stepUp.prove({ user, locale: kit.localeOf(req, b.locale), flowId: kit.correlation() }, choice, responseFor(method.kind, b.code));
      if (!r.ok) throw refusal(r.reason, r.retryAt);
      res.send(200, { status: 'proven' });
    }),
  );
}
