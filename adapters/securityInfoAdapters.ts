import type Redis from 'ioredis';
import type { Policy } from '../domain/policy/policy';
import type { AuditLog } from '../domain/ports/auditLog';
import type { Clock, RandomSource } from '../domain/ports/clock';
import type { CodeSender, Notifier } from '../domain/ports/codeSender';
import type { DomainEvents } from '../domain/events';
import type { DestinationGuard } from '../domain/ports/destinationGuard';
import type { MethodStore } from '../domain/ports/methodStore';
import type { AnswerHasher } from '../domain/ports/answerHasher';
import type { RecoveryCodeStore } from '../domain/ports/recoveryCodeStore';
import type { SendThrottle } from '../domain/ports/throttle';
import type { StepUpStore } from '../domain/ports/stepUpStore';
import type { TotpEngine, TotpReplayCache } from '../domain/ports/totp';
import type { VerificationStore } from '../domain/ports/verificationStore';
import { OneTimeCodeService } from '../domain/codes/oneTimeCodes';
import { TotpService } from '../domain/methods/totpService';
import { SecurityQuestionService } from '../domain/methods/securityQuestionService';
import { Argon2AnswerHasher } from './crypto/argon2AnswerHasher';
import { CryptoRandom } from './crypto/cryptoRandom';
import { FieldCipher } from './crypto/fieldCipher';
import { HmacKeyRing, type KeyRing } from './crypto/keyRing';
import { OtplibTotpEngine } from './crypto/otplibTotpEngine';
import { MemoryHourlyCounter } from './memory/memoryHourlyCounter';
import { MemoryMethodStore } from './memory/memoryMethodStore';
import { MemoryRecoveryCodeStore } from './memory/memoryRecoveryCodeStore';
import { MemorySendThrottle } from './memory/memorySendThrottle';
import { MemoryStepUpStore } from './memory/memoryStepUpStore';
import { MemoryTotpReplayCache } from './memory/memoryTotpReplayCache';
import { MemoryVerificationStore } from './memory/memoryVerificationStore';
import type { MemoryFlowStore } from './memory/memoryFlowStore';
import type { MemoryGrantStore } from './memory/memoryGrantStore';
import { RedisHourlyCounter } from './redis/redisHourlyCounter';
import { RedisKeys } from './redis/redisKeys';
import { MethodRecordCodec, RedisMethodStore } from './redis/redisMethodStore';
import { RedisRecoveryCodeStore } from './redis/redisRecoveryCodeStore';
import { RedisSendThrottle } from './redis/redisSendThrottle';
import { RedisStepUpStore } from './redis/redisStepUpStore';
import { RedisTotpReplayCache } from './redis/redisTotpReplayCache';
import { RedisVerificationStore } from './redis/redisVerificationStore';
import type { UserRecordMemo } from './redis/userRecordMemo';
import { zonedCodeSender, zonedNotifier, type ZoneLookup } from './senders/readerZone';
import { DevOutbox } from './senders/devOutbox';
import { HttpSmsVoiceSender } from './senders/httpSmsVoiceSender';
import { PhoneGuard, type HourlyCounter } from './senders/phoneGuard';
import { RoutingCodeSender, RoutingNotifier } from './senders/routingCodeSender';
import { SmtpCodeSender } from './senders/smtpCodeSender';

/** The part of bot/config.ts's Config these adapters need (structurally compatible with Config). */
export interface SecurityAdaptersConfig {
  readonly redis: { readonly prefix: string };
  readonly keys: { readonly codeHmac: KeyRing; readonly fieldEncryption: KeyRing };
  readonly senders: {
    readonly kind: 'outbox' | 'real';
    readonly smtpUrl: string | undefined;
    readonly smtpRequireTls?: boolean;
    readonly mailFrom: string;
    readonly sms: {
      readonly baseUrl: string | undefined;
      readonly accountSid: string | undefined;
      readonly authToken: string | undefined;
      readonly from: string | undefined;
    };
  };
  readonly policy: Policy;
}

export interface SecurityAdapterDeps {
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly random?: RandomSource;
  /** Domain events (R33: `send_throttled`, `shared_bucket_exceeded`). */
  readonly events?: DomainEvents;
  /** Issuer shown in authenticator apps. */
  readonly totpIssuer?: string;
  /** The user's time zone outside a chat turn (their stored conversation reference), for the times in e-mails. */
  readonly readerZone?: ZoneLookup;
}

/** Every port implementation of security info plus the domain services wired on them. */
export interface SecurityAdapters {
  readonly methods: MethodStore;
  readonly codes: VerificationStore;
  readonly throttle: SendThrottle;
  /** R30: all phone sends per hour (shared across instances with Redis), read by the campaigns' send-spike watch. */
  readonly hourly: HourlyCounter;
  readonly guard: DestinationGuard & { isAlerting(): Promise<boolean> };
  readonly sender: CodeSender;
  readonly notifier: Notifier;
  /** Present when senders.kind is 'outbox': read codes in development and tests. */
  readonly outbox: DevOutbox | undefined;
  readonly totpEngine: TotpEngine;
  readonly totpReplay: TotpReplayCache;
  readonly answerHasher: AnswerHasher;
  readonly recoveryCodes: RecoveryCodeStore;
  /** R31: the user's step-up proofs, bootstrap hold and lasting flags. */
  readonly stepUps: StepUpStore;
  readonly random: RandomSource;
  readonly oneTimeCodes: OneTimeCodeService;
  readonly totp: TotpService;
  readonly questions: SecurityQuestionService;
}

interface Parts {
  methods: MethodStore;
  codes: VerificationStore;
  throttle: SendThrottle;
  hourly: HourlyCounter;
  totpReplay: TotpReplayCache;
  recoveryCodes: RecoveryCodeStore;
  stepUps: StepUpStore;
}

function assemble(config: SecurityAdaptersConfig, deps: SecurityAdapterDeps, parts: Parts): SecurityAdapters {
  const random = deps.random ?? new CryptoRandom();
  const { clock, audit } = deps;
  let outbox: DevOutbox | undefined;
  let sender: CodeSender;
  let notifier: Notifier;
  const s = config.senders;
  if (s.kind === 'real' && s.smtpUrl && s.sms.baseUrl && s.sms.accountSid && s.sms.authToken && s.sms.from) {
    const smtp = new SmtpCodeSender({ url: s.smtpUrl, from: s.mailFrom, ...(s.smtpRequireTls ? { transport: { requireTLS: true } } : {}) });
    const phone = new HttpSmsVoiceSender({ baseUrl: s.sms.baseUrl, accountSid: s.sms.accountSid, authToken: s.sms.authToken, from: s.sms.from });
    sender = new RoutingCodeSender(smtp, phone);
    notifier = new RoutingNotifier(smtp, phone);
  } else {
    outbox = new DevOutbox(() => clock.now());
    sender = outbox;
    notifier = outbox;
  }
  // Times in mails and texts in the reader's zone (the turn's, else the stored one; UTC, named, without either).
  sender = zonedCodeSender(sender, deps.readerZone);
  notifier = zonedNotifier(notifier, deps.readerZone);
  const guard = new PhoneGuard(config.policy, parts.throttle, parts.hourly, audit, clock);
  const totpEngine = new OtplibTotpEngine();
  const answerHasher = new Argon2AnswerHasher();
  const oneTimeCodes = new OneTimeCodeService({
    store: parts.codes,
    sender,
    throttle: parts.throttle,
    guard,
    audit,
    clock,
    random,
    policy: config.policy,
    ...(deps.events ? { events: deps.events } : {}),
  });
  const totp = new TotpService({
    store: parts.methods,
    engine: totpEngine,
    replay: parts.totpReplay,
    audit,
    clock,
    issuer: deps.totpIssuer ?? 'Password Reset Assistant',
  });
  const questions = new SecurityQuestionService({ store: parts.methods, hasher: answerHasher, audit, clock, policy: config.policy });
  return { ...parts, guard, sender, notifier, outbox, totpEngine, answerHasher, random, oneTimeCodes, totp, questions };
}

function cryptoParts(config: SecurityAdaptersConfig): { codeRing: HmacKeyRing; recoveryRing: HmacKeyRing; codec: MethodRecordCodec; subjectRing: HmacKeyRing } {
  const codeRing = new HmacKeyRing(config.keys.codeHmac, 'otp');
  const recoveryRing = new HmacKeyRing(config.keys.codeHmac, 'recovery');
  const subjectRing = new HmacKeyRing(config.keys.fieldEncryption, 'subject');
  const codec = new MethodRecordCodec(new FieldCipher(config.keys.fieldEncryption), new HmacKeyRing(config.keys.fieldEncryption, 'destination'));
  return { codeRing, recoveryRing, codec, subjectRing };
}

/**
 * Production wiring: every store on Redis (keys under config.redis.prefix, user keys hash-tagged). With `memo` (the
 * state backend's, opened per turn by the TurnGuard), the method and step-up stores read a user's security info once
 * per turn (issue 15). `links.expiryClock`: the recovery stores' time source (tests only; omitted = Redis TIME) for
 * grants the TOTP script issues.
 */
export function createRedisSecurityAdapters(
  redis: Redis,
  config: SecurityAdaptersConfig,
  deps: SecurityAdapterDeps,
  memo?: UserRecordMemo,
  links: { readonly expiryClock?: Clock } = {},
): SecurityAdapters {
  const keys = new RedisKeys(config.redis.prefix);
  if (memo && memo.prefix !== keys.prefix) throw new Error('the user record memo must use the security stores’ key prefix');
  const { codeRing, recoveryRing, codec, subjectRing } = cryptoParts(config);
  return assemble(config, deps, {
    methods: new RedisMethodStore(redis, keys, codec, memo),
    codes: new RedisVerificationStore(redis, keys, codeRing, memo),
    throttle: new RedisSendThrottle(redis, keys, (subject) => subjectRing.sign(subject).mac.slice(0, 32)),
    hourly: new RedisHourlyCounter(redis, keys),
    totpReplay: new RedisTotpReplayCache(redis, keys, links.expiryClock, memo),
    recoveryCodes: new RedisRecoveryCodeStore(redis, keys, recoveryRing),
    stepUps: new RedisStepUpStore(redis, keys, deps.clock, memo),
  });
}

/**
 * Tests and the embedded development default: in-memory fakes on the injected clock. `links.flows`: the memory flow
 * store the code store advances in the same step as it consumes a code (F16).
 */
export function createMemorySecurityAdapters(
  config: SecurityAdaptersConfig,
  deps: SecurityAdapterDeps,
  links: { readonly flows?: Pick<MemoryFlowStore, 'stepNow'>; readonly grants?: Pick<MemoryGrantStore, 'issueNow'> } = {},
): SecurityAdapters {
  const { codeRing, recoveryRing, codec } = cryptoParts(config);
  const methods = new MemoryMethodStore(codec);
  const stepUps = new MemoryStepUpStore(deps.clock);
  return assemble(config, deps, {
    methods,
    codes: new MemoryVerificationStore(deps.clock, codeRing, links.flows, { methods, stepUps }),
    throttle: new MemorySendThrottle(deps.clock),
    hourly: new MemoryHourlyCounter(),
    totpReplay: new MemoryTotpReplayCache(deps.clock, { methods, ...links, records: { methods, stepUps } }),
    recoveryCodes: new MemoryRecoveryCodeStore(recoveryRing),
    stepUps,
  });
}
