import { fail, ok, type Result } from '../errors';
import { removalWouldBreakReset } from '../methods/methodPolicy';
import type { MethodKind } from '../model/methods';
import { checkProof, hasConfirmedMethod, notifyChange, type ProofGateRefusal } from './proofGate';
import type { ChangeContext, SecurityInfoDeps } from './securityInfoDeps';

/**
 * Remove a method — the one use-case for the chat and the tab (R31). An active method needs the user's step-up,
 * the last one too; a method that never became active (a pending registration, a pre-filled directory contact) can
 * go without. `preview` tells whether the user would fall below what a reset needs (R4), so a surface can warn.
 * The removed destination is told on its own channel (e-mail by mail, a mobile phone by SMS), the directory mailbox
 * and the user too (R18, R19, R31).
 */
export class RemoveMethod {
  constructor(private readonly deps: SecurityInfoDeps) {}

  async preview(ctx: Pick<ChangeContext, 'user'>, methodId: string): Promise<Result<{ kind: MethodKind; maskedDestination?: string; breaksReset: boolean }, 'unknown_method'>> {
    const methods = await this.deps.store.list(ctx.user);
    const m = methods.find((x) => x.id === methodId);
    if (!m) return fail('unknown_method');
    const breaksReset = removalWouldBreakReset(methods, methodId, this.deps.policy);
    return ok({ kind: m.kind, ...(m.maskedDestination ? { maskedDestination: m.maskedDestination } : {}), breaksReset });
  }

  async run(ctx: ChangeContext, methodId: string): Promise<Result<{ kind: MethodKind }, 'unknown_method' | ProofGateRefusal>> {
    const { store, recoveryCodes, audit, stepUps } = this.deps;
    const entry = await store.get(ctx.user, methodId);
    if (!entry) return fail('unknown_method');
    const active = entry.method.confirmedAt !== null;
    if (active) {
      const proof = await checkProof(this.deps, ctx);
      if (!proof.ok) {
        await audit.record({ type: 'method.remove', correlationId: ctx.flowId, user: ctx.user, methodKind: entry.method.kind, outcome: 'refused', reason: proof.reason });
        return proof;
      }
    }
    await store.remove(ctx.user, methodId);
    if (entry.method.kind === 'recoveryCodes') await recoveryCodes.clear(ctx.user);
    // An account that had confirmed methods never gets a session-only bootstrap (R31).
    if (active) await stepUps.setFlag(ctx.user, 'hadMethods');
    await audit.record({
      type: 'method.remove',
      correlationId: ctx.flowId,
      user: ctx.user,
      methodKind: entry.method.kind,
      outcome: 'success',
      ...(active && !(await hasConfirmedMethod(this.deps, ctx.user)) ? { reason: 'last_method' } : {}),
    });
    if (active) {
      const destination = entry.secrets.destination;
      await notifyChange(
        this.deps,
        ctx,
        { action: 'removed', kind: entry.method.kind, ...(entry.method.maskedDestination ? { maskedDestination: entry.method.maskedDestination } : {}) },
        destination ? { kind: entry.method.kind, destination } : undefined,
      );
    }
    return ok({ kind: entry.method.kind });
  }
}
