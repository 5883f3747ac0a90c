import type { Server } from 'restify';
import { z } from 'zod';
import { needsReconfirmation, removalWouldBreakReset } from '../../domain/methods/methodPolicy';
import type { Policy } from '../../domain/policy/policy';
import type { SecurityInfoUseCases } from '../../domain/securityInfo';
import type { MethodStore } from '../../domain/ports/methodStore';
import type { Clock } from '../../domain/ports/clock';
import { ApiError, refusal, routeParam, type ApiKit } from './http';

const MethodId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const LocaleField = z.enum(['en', 'nl']).optional();
const EmptyBody = z.strictObject({ locale: LocaleField });
// Bounded only: the code format is the domain's (R34).
const CodeBody = z.strictObject({ code: z.string().max(64), locale: LocaleField });

/**
 * The Security info tab's API: list (masked), remove and re-confirm — each one use-case, the same as the chat's, with
 * the user's R31 step-up (a Teams session alone never removes or re-confirms anything).
 */
export function registerMethodRoutes(server: Server, kit: ApiKit, deps: { useCases: SecurityInfoUseCases; methods: MethodStore; policy: Policy; clock: Clock }): void {
  const { useCases: uc, policy } = deps;
  const ctx = (user: Parameters<ApiKit['write']>[0], locale: 'en' | 'nl') => ({ user, locale, flowId: kit.correlation() });
  const methodId = (req: Parameters<ApiKit['identify']>[0]): string => {
    const id = MethodId.safeParse(routeParam(req, 'id'));
    if (!id.success) throw new ApiError(404, 'not_found');
    return id.data;
  };

  server.get(
    '/api/methods',
    kit.handle(async (req, res) => {
      const user = await kit.identify(req);
      const now = deps.clock.now();
      const methods = await deps.methods.list(user);
      res.send(200, {
        methods: methods.map((m) => ({
          id: m.id,
          kind: m.kind,
          ...(m.maskedDestination ? { maskedDestination: m.maskedDestination } : {}),
          confirmed: m.confirmedAt !== null,
          needsReconfirmation: needsReconfirmation(m, policy, now),
          removalBreaksReset: removalWouldBreakReset(methods, m.id, policy),
          canReconfirm: m.confirmedAt !== null && (m.kind === 'authenticatorApp' || m.channels.length > 0),
        })),
      });
    }),
  );

  server.del(
    '/api/methods/:id',
    kit.handle(async (req, res) => {
      const user = await kit.identify(req);
      const id = methodId(req);
      await kit.write(user);
      const r = await uc.remove.run(ctx(user, kit.localeOf(req)), id);
      if (!r.ok) throw refusal(r.reason);
      res.send(200, { status: 'removed' });
    }),
  );

  server.post(
    '/api/methods/:id/reconfirm',
    kit.handle(async (req, res) => {
      const user = await kit.identify(req);
      const id = methodId(req);
      const b = kit.body(req, EmptyBody);
      await kit.write(user);
      const r = await uc.reconfirm.start(ctx(user, kit.localeOf(req, b.locale)), id);
      if (!r.ok) throw refusal(r.reason, r.retryAt);
      if (r.value.kind !== 'code_sent') return void res.send(200, { status: 'enter_code', channel: 'app' });
      const channel = r.value.methodKind === 'email' ? 'email' : r.value.methodKind === 'officePhone' ? 'voice' : 'sms';
      res.send(200, { status: 'enter_code', channel, maskedDestination: r.value.maskedDestination });
    }),
  );

  server.post(
    '/api/methods/:id/reconfirm/check',
    kit.handle(async (req, res) => {
      const user = await kit.identify(req);
      const id = methodId(req);
      const b = kit.body(req, CodeBody);
      await kit.write(user);
      const r = await uc.reconfirm.check(ctx(user, kit.localeOf(req, b.locale)), id, b.code);
      if (!r.ok) throw refusal(r.reason, r.retryAt);
      res.send(200, { status: 'confirmed' });
    }),
  );
}
