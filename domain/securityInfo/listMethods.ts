import { assessMethods, enabledKinds, needsReconfirmation } from '../methods/methodPolicy';
import { inDisplayOrder, type RegisteredMethod } from '../methods/registeredMethod';
import type { MethodKind } from '../model/methods';
import type { UserRef } from '../model/user';
import { prefillFromDirectory } from './bootstrap';
import type { SecurityInfoDeps } from './securityInfoDeps';

/** How a method stands: usable, pre-filled by the organisation, waiting for its code, or due for re-confirmation. */
export type MethodStatus = 'confirmed' | 'fromDirectory' | 'pending' | 'reconfirm';

export interface MethodSummary {
  readonly id: string;
  readonly kind: MethodKind;
  readonly maskedDestination?: string;
  readonly status: MethodStatus;
}

export interface MethodsOverview {
  readonly methods: readonly MethodSummary[];
  /** Kinds the user may still add (enabled by policy, not yet registered). */
  readonly addable: readonly MethodKind[];
  /** R4: do the confirmed methods satisfy what a reset needs? */
  readonly enoughForReset: boolean;
  readonly required: 1 | 2;
  /** R31: after a session-only bootstrap, the methods are usable for a reset or unlock only from this time. */
  readonly heldUntil: number | null;
}

/** The user's security info as the list card shows it: masked destinations and status, never a secret. */
export class ListMethods {
  constructor(private readonly deps: SecurityInfoDeps) {}

  async run(user: UserRef): Promise<MethodsOverview> {
    const { store, policy, clock } = this.deps;
    await prefillFromDirectory(this.deps, user);
    const all = inDisplayOrder(await store.list(user));
    const now = clock.now();
    const methods = all.map((m) => summarise(m, policy, now));
    // A pre-filled directory contact does not stop the user adding one of the same kind themselves.
    const present = new Set(all.filter((m) => m.source === 'user').map((m) => m.kind));
    const addable = enabledKinds(policy).filter((k) => !present.has(k));
    const a = assessMethods(all, policy);
    return { methods, addable, enoughForReset: a.enough, required: a.required, heldUntil: await this.deps.stepUps.holdUntil(user) };
  }
}

function summarise(m: RegisteredMethod, policy: SecurityInfoDeps['policy'], now: number): MethodSummary {
  const status: MethodStatus =
    m.confirmedAt === null ? (m.source === 'directory' ? 'fromDirectory' : 'pending') : needsReconfirmation(m, policy, now) ? 'reconfirm' : 'confirmed';
  return { id: m.id, kind: m.kind, ...(m.maskedDestination ? { maskedDestination: m.maskedDestination } : {}), status };
}
