import { createMemorySecurityAdapters } from '../../adapters/securityInfoAdapters';
import { MemoryVerificationBlock } from '../../adapters/memory/memoryVerificationBlock';
import { MethodStoreReader, SecurityInfoProver } from '../../domain/recovery/securityInfoProver';
import { createSecurityInfoUseCases } from '../../domain/securityInfo';
import type { SecurityInfoDeps } from '../../domain/securityInfo/securityInfoDeps';
import { DEFAULT_POLICY } from '../../domain/policy/policy';
import { FixedClock, SeededRandom } from './fixedClock';
import { testConfig } from '../contract/securityKit';

/** The security-info use-cases on the in-memory adapters, a fixed clock and a seeded random (domain-level tests). */
export function securityInfoKit(opts: { seed?: number; directory?: SecurityInfoDeps['directory'] } = {}) {
  const clock = new FixedClock();
  const audit = { record: async () => undefined };
  const s = createMemorySecurityAdapters(testConfig(), { clock, audit, random: new SeededRandom(opts.seed) });
  const prover = new SecurityInfoProver({ policy: DEFAULT_POLICY, store: s.methods, codes: s.oneTimeCodes, totp: s.totp, questions: s.questions, recoveryCodes: s.recoveryCodes, audit });
  const uc = createSecurityInfoUseCases({
    policy: DEFAULT_POLICY,
    store: s.methods,
    codes: s.oneTimeCodes,
    guard: s.guard,
    totp: s.totp,
    questions: s.questions,
    recoveryCodes: s.recoveryCodes,
    prover,
    provable: new MethodStoreReader(s.methods),
    block: new MemoryVerificationBlock(clock, { threshold: 5, windowMs: 86_400_000, blockMs: 86_400_000 }),
    notifications: { notify: async () => undefined },
    mailer: s.notifier,
    stepUps: s.stepUps,
    directory: opts.directory ?? { contacts: async () => ({ mobilePhones: [], officePhones: [], emails: [] }), mailbox: async () => null },
    audit,
    clock,
    random: new SeededRandom(opts.seed ?? 7),
  });
  return { clock, s, uc };
}
