import type { Config } from './config';
import type { Logger } from './logger';
import type { AuditLog } from '../domain/ports/auditLog';
import type { Clock, RandomSource } from '../domain/ports/clock';
import type { Directory } from '../domain/ports/directory';
import type { Notifications } from '../domain/ports/notifications';
import { InProcessDomainEvents } from '../domain/events';
import { wireCoreSubscribers } from '../domain/eventSubscribers';
import type { RecoveryDeps } from '../domain/recovery/recoveryDeps';
import { StartRecovery } from '../domain/recovery/startRecovery';
import { RequestChallenge } from '../domain/recovery/requestChallenge';
import { SubmitProof } from '../domain/recovery/submitProof';
import { ResetPassword } from '../domain/recovery/resetPassword';
import { UnlockAccount } from '../domain/recovery/unlockAccount';
import { HeldMethodsReader, MethodStoreReader, SecurityInfoProver } from '../domain/recovery/securityInfoProver';
import { createAuditTrail } from './auditTrail';
import { CryptoRandom } from '../adapters/crypto/cryptoRandom';
import type { SecurityAdapters } from '../adapters/securityInfoAdapters';
import type { UserRef } from '../domain/model/user';
import type { StateBackend } from './state/stateBackend';
import { MemoryDirectory } from '../adapters/directory/memoryDirectory';
import { LdapDirectory } from '../adapters/directory/ldapDirectory';
import { GraphDirectory } from '../adapters/directory/graphDirectory';
import { loadCommonPasswords } from '../adapters/password/commonPasswordList';
import { createZxcvbnStrength } from '../adapters/password/zxcvbnStrength';
import { ChooseNewPassword, type PasswordTools } from '../domain/recovery/chooseNewPassword';
import type { StrengthEstimator } from '../domain/policy/passwordPolicy';

/** Every port implementation and use-case of the product, built once from config (the composition root's core). */
export interface Services {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly audit: AuditLog;
  /** The domain event bus (rule 18); the audit log and the notifications are subscribed. */
  readonly events: InProcessDomainEvents;
  readonly directory: Directory;
  readonly security: SecurityAdapters;
  readonly recovery: {
    readonly deps: RecoveryDeps;
    readonly start: StartRecovery;
    readonly challenge: RequestChallenge;
    readonly prove: SubmitProof;
    readonly reset: ResetPassword;
    /** R14 + R26: the one password use-case of the chat card and the dialog page. */
    readonly choose: ChooseNewPassword;
    readonly unlock: UnlockAccount;
  };
}

export interface ServiceOverrides {
  readonly clock?: Clock;
  readonly random?: RandomSource;
  readonly directory?: Directory;
  readonly audit?: AuditLog;
  readonly events?: InProcessDomainEvents;
}

const systemClock: Clock = { now: () => Date.now() };

/**
 * Build the services on the state backend (rule 17: its stores, built once by bot/state/stateBackend.ts; give it the
 * same clock as `overrides.clock`). `notifications` is supplied by the bot layer (Teams messages + e-mail, R18) and may be bound
 * late, since it needs the adapter and the services themselves.
 */
export async function createServices(
  config: Config,
  state: StateBackend,
  logger: Logger,
  notifications: Notifications,
  overrides: ServiceOverrides = {},
): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  const random = overrides.random ?? new CryptoRandom();
  const audit = overrides.audit ?? createAuditTrail(config, logger, clock);
  const events =
    overrides.events ?? new InProcessDomainEvents((err, e) => logger.error({ event: e.type, err: { name: (err as Error)?.name } }, 'domain event listener failed'));
  wireCoreSubscribers(events, audit, notifications);
  const directory = overrides.directory ?? (await createDirectory(config, clock));
  // Outside a chat turn (a dialog page, a background job), a mail's times are in the zone of the user's last turn.
  const readerZone = async (user: UserRef): Promise<string | null> => {
    const zone = (await state.refs.get(user))?.localTimezone;
    return typeof zone === 'string' ? zone : null;
  };
  const deps = { clock, audit, random, events, totpIssuer: config.policy.password.organisationName, readerZone };
  const security = state.security(deps);
  const { flows, grants, block, counter } = state.recovery;
  const p = config.policy;
  const prover = new SecurityInfoProver({
    policy: p,
    store: security.methods,
    codes: security.oneTimeCodes,
    totp: security.totp,
    questions: security.questions,
    recoveryCodes: security.recoveryCodes,
    audit,
  });
  const recoveryDeps: RecoveryDeps = {
    policy: p,
    directory,
    // R31: methods registered by a session-only bootstrap are not usable for a reset or unlock during the hold.
    methods: new HeldMethodsReader(new MethodStoreReader(security.methods), security.stepUps),
    prover,
    flows,
    grants,
    block,
    counter,
    audit,
    notifications,
    clock,
    random,
    events,
  };
  const reset = new ResetPassword(recoveryDeps);
  // Loaded on first use and kept for the app's lifetime (one per composition, no module state).
  let common: Promise<ReadonlySet<string>> | undefined;
  let strength: StrengthEstimator | undefined;
  const tools: PasswordTools = { commonPasswords: () => (common ??= loadCommonPasswords()), strength: () => (strength ??= createZxcvbnStrength()) };
  return {
    clock,
    random,
    audit,
    events,
    directory,
    security,
    recovery: {
      deps: recoveryDeps,
      start: new StartRecovery(recoveryDeps),
      challenge: new RequestChallenge(recoveryDeps),
      prove: new SubmitProof(recoveryDeps),
      reset,
      choose: new ChooseNewPassword({ policy: p, directory, reset, tools }),
      unlock: new UnlockAccount(recoveryDeps),
    },
  };
}

async function createDirectory(config: Config, clock: Clock): Promise<Directory> {
  const d = config.directory;
  switch (d.kind) {
    case 'memory':
      return MemoryDirectory.load(d.demoFile, { clock });
    case 'ldap':
      return new LdapDirectory({
        url: d.ldap.url ?? '',
        dialect: d.ldap.dialect,
        bindDn: d.ldap.bindDn ?? '',
        bindPassword: d.ldap.bindPassword ?? '',
        baseDn: d.ldap.baseDn ?? '',
        userIdAttribute: d.ldap.userIdAttribute,
        startTls: d.ldap.startTls,
        ...(d.ldap.caFile ? { caFile: d.ldap.caFile } : {}),
        allowInsecure: d.ldap.allowInsecure && config.mode !== 'production',
        privilegedGroups: d.ldap.privilegedGroups,
        ...(d.ldap.tlsServerName ? { tlsServerName: d.ldap.tlsServerName } : {}),
        ...(d.ldap.passwordPolicyDn ? { passwordPolicyDn: d.ldap.passwordPolicyDn } : {}),
        clock,
      });
    case 'graph':
      return new GraphDirectory({
        tenantId: d.graph.tenantId ?? '',
        clientId: d.graph.clientId ?? '',
        clientSecret: d.graph.clientSecret ?? '',
        baseUrl: d.graph.baseUrl,
        authorityHost: d.graph.authorityHost,
        clock,
      });
  }
}
