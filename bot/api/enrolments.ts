import type { Server } from 'restify';
import { z } from 'zod';
import type { Config } from '../config';
import type { Services } from '../services';
import type { SecurityInfoUseCases } from '../../domain/securityInfo';
import type { EnrolmentTickets } from '../../adapters/enrolmentTickets';
import { ApiError, refusal, routeParam, type ApiKit } from './http';

const TicketId = z.string().regex(/^[0-9a-f]{32}$/);
// Bounded only: the code format is the domain's (R34).
const CodeBody = z.strictObject({ code: z.string().max(64), locale: z.enum(['en', 'nl']).optional() });

/**
 * R35: the authenticator dialog page behind a single-use ticket — `GET /api/enrolments/:ticket` shows, once and to the
 * ticket's own user, the QR code and key of the pending authenticator (`POST …/confirm` then checks the first code
 * through ConfirmAuthenticator, the same use-case as the chat's fallback card, and the ticket is gone), or a new set
 * of recovery codes made right then by CreateRecoveryCodes (the chat's use-case, with its R31 step-up check).
 */
export function registerEnrolmentRoutes(server: Server, kit: ApiKit, deps: { config: Config; services: Services; tickets: EnrolmentTickets; useCases: SecurityInfoUseCases }): void {
  const { services, tickets } = deps;
  server.get(
    '/api/enrolments/:ticket',
    kit.handle(async (req, res) => {
      const user = await kit.identify(req);
      const ticket = TicketId.safeParse(routeParam(req, 'ticket'));
      if (!ticket.success) throw new ApiError(404, 'not_found');
      const shown = await tickets.claimDisplay(user, ticket.data);
      if (!shown) throw new ApiError(404, 'not_found');
      if (shown.purpose === 'recoveryCodes') {
        await kit.write(user);
        const r = await deps.useCases.createRecoveryCodes.run({ user, locale: kit.localeOf(req), flowId: kit.correlation() });
        await tickets.remove(user, ticket.data);
        if (!r.ok) throw refusal(r.reason);
        res.send(200, { kind: 'recoveryCodes', codes: r.value.codes });
        return;
      }
      const methodId = shown.methodId;
      const entry = await services.security.methods.get(user, methodId);
      const secret = entry?.secrets.totpSecret;
      if (!entry || entry.method.kind !== 'authenticatorApp' || entry.method.confirmedAt !== null || !secret) throw new ApiError(404, 'not_found');
      const account = (await services.directory.findUser(user))?.userPrincipalName ?? user.objectId;
      const uri = services.security.totpEngine.keyUri(account, deps.config.policy.password.organisationName, secret);
      const qr = await services.security.totpEngine.qrDataUri(uri);
      await services.audit.record({ type: 'method.enrol.shown', correlationId: kit.correlation(), user, methodKind: 'authenticatorApp', outcome: 'info' });
      res.send(200, { kind: 'authenticator', qrDataUri: qr, key: secret.match(/.{1,4}/g)?.join(' ') ?? secret, account });
    }),
  );

  server.post(
    '/api/enrolments/:ticket/confirm',
    kit.handle(async (req, res) => {
      // The ticket and the body are checked before the caller is identified, so only a well-formed confirm uses the
      // user's write budget; the address, user and write limits then go in one round trip (issue 15).
      const ticket = TicketId.safeParse(routeParam(req, 'ticket'));
      if (!ticket.success) throw new ApiError(404, 'not_found');
      const b = kit.body(req, CodeBody);
      const user = await kit.identifyForWrite(req);
      // The user's record (methods, step-up, R9 block) is read with the ticket: ConfirmAuthenticator's reads come from
      // this request's memo (issue 15: one round trip for both).
      const [methodId] = await Promise.all([tickets.methodOf(user, ticket.data), services.security.methods.list(user)]);
      if (!methodId) throw new ApiError(404, 'not_found');
      const r = await deps.useCases.confirmAuthenticator.run({ user, locale: kit.localeOf(req, b.locale), flowId: kit.correlation() }, methodId, b.code);
      if (!r.ok) throw refusal(r.reason, r.retryAt);
      await tickets.remove(user, ticket.data);
      res.send(200, { status: 'confirmed' });
    }),
  );
}
