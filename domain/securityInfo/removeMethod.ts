import { fail, ok, type Result } from '../errors';
import { removalWouldBreakReset } from '../methods/methodPolicy';
import type { MethodKind } from '../model/methods';
import { checkProof, notifyChange } from './proofGate';
import type { ChangeContext, SecurityInfoDeps } from './securityInfoDeps';

/**
 * Remove a method (after the R19 step-up). `preview` tells whether the user would fall below what a reset needs (R4),
 * so the dialog can warn before the user confirms. The removed address is told, as is the user (R18).
 */
export class RemoveMethod {
  constructor(private readonly deps: SecurityInfoDeps) {}

  async preview(ctx: ChangeContext, methodId: string): Promise<Result<{ kind: MethodKind; maskedDestination?: string; breaksReset: boolean }, 'unknown_method'>> {
    const methods = await this.deps.store.list(ctx.user);
    const m = methods.find((x) => x.id === methodId);
    if (!m) return fail('unknown_method');
    const breaksReset = removalWouldBreakReset(methods, methodId, this.deps.policy);
    return ok({ kind: m.kind, ...(m.maskedDestination ? { maskedDestination: m.maskedDestination } : {}), breaksReset });
  }

  async run(ctx: ChangeContext, methodId: string): Promise<Result<{ kind: MethodKind }, 'unknown_method' | 'proof_required'>> {
    const { store, recoveryCodes, audit } = this.deps;
    const entry = await store.get(ctx.user, methodId);
    if (!entry) return fail('unknown_method');
    // A method that never became active can go without a proof; an active one needs it (R19).
    if (entry.method.confirmedAt !== null) {
      const proof = await checkProof(this.deps, ctx);
      if (!proof.ok) return proof;
    }
    await store.remove(ctx.user, methodId);
    if (entry.method.kind === 'recoveryCodes') await recoveryCodes.clear(ctx.user);
    await audit.record({ type: 'method.remove', correlationId: ctx.flowId, user: ctx.user, methodKind: entry.method.kind, outcome: 'success' });
    const former = entry.method.kind === 'email' && entry.method.confirmedAt !== null ? entry.secrets.destination : undefined;
    await notifyChange(this.deps, ctx, former);
    return ok({ kind: entry.method.kind });
  }
}
