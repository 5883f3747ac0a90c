import { z } from 'zod';

/**
 * Every card submit carries a `verb` from this closed union and is parsed with zod at the edge (architecture rule 7).
 * Anything that does not parse gets a polite re-ask and goes no further. Strings are bounded so a 10 KB paste is refused.
 */
const flowId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
const shortText = (max: number) => z.string().max(max);

export const MENU_CHOICES = ['reset', 'unlock', 'securityInfo', 'check', 'help'] as const;
export type MenuChoice = (typeof MENU_CHOICES)[number];

export const MenuVerb = z.object({ verb: z.literal('menu'), choice: z.enum(MENU_CHOICES) }).strict();
export const CancelVerb = z.object({ verb: z.literal('cancel'), flowId: flowId.optional() }).strict();

/** A helpdesk hand-off's [Start] / [Decline] (R21): the token is 256 bits, base64url. */
const handoffToken = z.string().regex(/^[A-Za-z0-9_-]{22,86}$/);
export const HandoffStartVerb = z.object({ verb: z.literal('handoffStart'), token: handoffToken }).strict();
export const HandoffDeclineVerb = z.object({ verb: z.literal('handoffDecline'), token: handoffToken }).strict();

/** "Talk to the helpdesk" from a card, with what the user was trying (the helpdesk summary says so). */
export const HelpdeskVerb = z.object({ verb: z.literal('helpdesk'), tried: z.enum(['reset', 'unlock', 'securityInfo', 'none']) }).strict();

/** The proactive campaign cards' own buttons (issue 13); Unlock / Change it now / Register are menu verbs. */
const OPTIONAL_CAMPAIGN = z.enum(['expiry', 'registration', 'reconfirm']);
/** The message id of the card the button is on (domain/campaigns/audience.ts messageId): checked against what was sent. */
const CARD_REF = z.string().regex(/^[A-Za-z0-9_.-]{1,300}$/);
export const CampaignSnoozeVerb = z.object({ verb: z.literal('campaign.snooze'), kind: OPTIONAL_CAMPAIGN, days: z.union([z.literal(1), z.literal(7)]), ref: CARD_REF }).strict();
export const CampaignStopVerb = z.object({ verb: z.literal('campaign.stop'), kind: OPTIONAL_CAMPAIGN, ref: CARD_REF }).strict();
export const CampaignNotMeVerb = z.object({ verb: z.literal('campaign.notMe'), ref: CARD_REF }).strict();
export const CampaignHelpdeskVerb = z.object({ verb: z.literal('campaign.helpdesk') }).strict();
export const CampaignVerb = z.discriminatedUnion('verb', [CampaignSnoozeVerb, CampaignStopVerb, CampaignNotMeVerb, CampaignHelpdeskVerb]);
export type CampaignVerb = z.infer<typeof CampaignVerb>;

/** The verbs of the root dialog. Journeys add theirs to this union in the same file. */
export const RootVerb = z.discriminatedUnion('verb', [
  MenuVerb,
  CancelVerb,
  HandoffStartVerb,
  HandoffDeclineVerb,
  CampaignSnoozeVerb,
  CampaignStopVerb,
  CampaignNotMeVerb,
  CampaignHelpdeskVerb,
  HelpdeskVerb,
]);
export type RootVerb = z.infer<typeof RootVerb>;

export { flowId as FlowIdSchema, shortText as boundedText };

// ---------- verify identity (reset / unlock journeys) ----------

/** Codes are bounded generously so a mistyped paste gets a polite "6 digits" answer, not a parse error. */
const codeText = shortText(64);

export const VerifyChooseVerb = z.object({ verb: z.literal('verify.choose'), flowId, methodId: shortText(128) }).strict();
export const VerifyCodeVerb = z.object({ verb: z.literal('verify.code'), flowId, code: codeText.optional() }).strict();
export const VerifyTotpVerb = z.object({ verb: z.literal('verify.totp'), flowId, code: codeText.optional() }).strict();
export const VerifyRecoveryCodeVerb = z.object({ verb: z.literal('verify.recoveryCode'), flowId, code: codeText.optional() }).strict();
/** Security answers arrive as `q_<questionId>` fields next to the verb. */
export const VerifyAnswersVerb = z
  .object({ verb: z.literal('verify.answers'), flowId })
  .catchall(shortText(200));
// Buttons on a card with inputs also carry those inputs: they are dropped (never read, never stored).
export const VerifyResendVerb = z.object({ verb: z.literal('verify.resend'), flowId });
export const VerifyOtherVerb = z.object({ verb: z.literal('verify.other'), flowId });

/** Every submit of the verify-identity cards. Text inputs not filled in arrive absent. */
export const VerifyVerb = z.discriminatedUnion('verb', [
  VerifyChooseVerb,
  VerifyCodeVerb,
  VerifyTotpVerb,
  VerifyRecoveryCodeVerb,
  VerifyAnswersVerb,
  VerifyResendVerb,
  VerifyOtherVerb,
]);
export type VerifyVerb = z.infer<typeof VerifyVerb>;

/**
 * The new-password card: two masked inputs. Bounded at 20,000 characters so a 10,000-character paste still gets its
 * specific "too long" reason from the password policy instead of a parse error.
 */
export const ResetPasswordVerb = z
  .object({
    verb: z.literal('reset.password'),
    flowId,
    newPassword: shortText(20_000).optional(),
    confirmPassword: shortText(20_000).optional(),
  })
  .strict();
export type ResetPasswordVerb = z.infer<typeof ResetPasswordVerb>;

// ---------- security info (issue 3) ----------
const methodRef = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const SI_KINDS = ['mobilePhone', 'officePhone', 'email', 'authenticatorApp', 'securityQuestions', 'recoveryCodes'] as const;
const si = <V extends string, S extends z.ZodRawShape>(verb: V, shape: S) =>
  z.object({ verb: z.literal(verb), flowId, ...shape }).strict();
const answer = shortText(400).optional();
const questionRef = z.string().max(64).optional();

/** Card submits of the security-info journey; every one carries the flow id of the card that sent it. */
export const SecurityInfoVerb = z.discriminatedUnion('verb', [
  si('si.add', {}),
  si('si.kind', { kind: z.enum(SI_KINDS) }),
  si('si.change', { methodId: methodRef }),
  si('si.remove', { methodId: methodRef }),
  si('si.removeConfirm', { methodId: methodRef }),
  si('si.reconfirm', { methodId: methodRef }),
  si('si.proveWith', { choice: z.string().regex(/^[A-Za-z0-9_~-]{1,80}$/) }),
  si('si.proof', { code: shortText(64) }),
  si('si.bootstrapWith', { methodId: methodRef }),
  si('si.destination', { destination: shortText(320), country: z.string().regex(/^[A-Z]{2}$/).optional() }),
  si('si.code', { code: shortText(64) }),
  si('si.totp', { code: shortText(64) }),
  si('si.questions', {
    q1: questionRef, q2: questionRef, q3: questionRef, q4: questionRef, q5: questionRef,
    a1: answer, a2: answer, a3: answer, a4: answer, a5: answer,
  }),
  si('si.codesSaved', {}),
  si('si.back', {}),
  si('si.done', {}),
]);
export type SecurityInfoVerb = z.infer<typeof SecurityInfoVerb>;
