import type { MethodKind } from '../model/methods';
import { DEFAULT_CAMPAIGN_POLICY, type CampaignPolicy } from '../campaigns/campaignPolicy';

/**
 * The organisation's self-service policy (policy file, parsed and capped in bot/config.ts).
 * Numbers are defaults from shared/docs/requirements.md; the file may tighten them and loosen them only up to the caps
 * in POLICY_CAPS.
 */
export interface Policy {
  readonly methods: {
    /** Kinds users may register. Security questions are off by default. */
    readonly enabled: readonly MethodKind[];
    /** Methods a reset needs: 1 or 2 (R4). */
    readonly requiredForReset: 1 | 2;
    /** Privileged users (R3): always two methods without questions, or sent to the helpdesk. */
    readonly privilegedRoute: 'twoMethods' | 'helpdesk';
    /** Re-confirmation period in days, 0 = never (0–730). */
    readonly reconfirmAfterDays: number;
    /** Pre-populate mobile/alternate e-mail from the directory as "not yet confirmed". */
    readonly prefillFromDirectory: boolean;
    /**
     * R31: how an account with no confirmed method registers its first one. `directoryOrSession` (default): a code to
     * contact data the directory holds, else session-only with the hold; `directoryOrHelpdesk`: a code to directory
     * contact data, else a helpdesk registration hand-off; `helpdesk`: always the helpdesk (strict).
     */
    readonly bootstrap: 'directoryOrSession' | 'directoryOrHelpdesk' | 'helpdesk';
    /** R31: methods registered by a session-only bootstrap cannot be used for a reset or unlock for this long. */
    readonly holdHours: number;
  };
  readonly securityQuestions: {
    readonly register: number; // 3–5
    readonly answer: number; // 3–5, ≤ register
    /** Custom questions (up to 20), each with its text per language (3–200 characters). */
    readonly custom: readonly { readonly id: string; readonly en: string; readonly nl: string }[];
    /** Offer the built-in question set as well as the custom ones. */
    readonly builtIn: boolean;
  };
  readonly phone: {
    /** ISO 3166 country codes whose numbers may receive SMS/voice (R30). */
    readonly allowedCountries: readonly string[];
    /** E.164 prefixes refused (premium-rate and similar), e.g. "+3190" (R30). */
    readonly blockedPrefixes: readonly string[];
    /** Sends per hour to one country-plus-3-digit prefix before refusing (R30). */
    readonly sendsPerPrefixPerHour: number;
  };
  readonly codes: {
    readonly lifetimeSeconds: number; // R6: 300, cap 600
    readonly maxTries: number; // R8: 5
  };
  readonly throttles: {
    readonly sendsPerHourPerChannel: number; // R10: 5
    readonly minSecondsBetweenSends: number; // R10: 60
    readonly sendsPerDayPerDestination: number; // R10: 10
    /** R33: new (unconfirmed) destinations one user may register per day, checked before any shared bucket. */
    readonly newDestinationsPerDay: number; // R33: 3
    readonly failedVerificationsBeforeBlock: number; // R9: 5
    readonly blockHours: number; // R9: 24
  };
  readonly grant: {
    readonly lifetimeSeconds: number; // R16: 600
    readonly maxFlowSeconds: number; // R16: 900
  };
  readonly password: {
    readonly minLength: number; // R14: 8
    readonly maxLength: number; // R14: 256
    readonly recommendedLength: number; // 15
    readonly organisationName: string;
    readonly bannedTerms: readonly string[]; // ≤ 1000
    readonly forceChangeAtNextSignIn: boolean;
  };
  /** C6: at most `maxPerWindow` resets and unlocks per user in any sliding window of `windowDays` days. */
  readonly resets: {
    readonly maxPerWindow: number;
    readonly windowDays: number;
  };
  /** Who may use self-service: everyone, or members of the listed directory groups. */
  readonly scope: { readonly mode: 'everyone' | 'groups'; readonly groups: readonly string[] };
  readonly helpdesk: {
    /** Directory groups whose members are helpdesk agents. */
    readonly agentGroups: readonly string[];
    /** How users reach a human, shown in messages (e.g. "call 1234 or open a ticket at …"). */
    readonly contactText: { readonly en: string; readonly nl: string };
    readonly allowHandoffToPrivileged: boolean;
  };
  /** Proactive campaigns (issue 13): reminders, lockout alerts, nudges and security alerts. */
  readonly campaigns: CampaignPolicy;
}

export const POLICY_CAPS = {
  codeLifetimeSeconds: 600,
  maxTries: 5,
  sendsPerHourPerChannel: 10,
  sendsPerDayPerDestination: 20,
  newDestinationsPerDay: 3,
  failedVerificationsBeforeBlock: 10,
  grantLifetimeSeconds: 900,
  maxFlowSeconds: 900,
  customQuestions: 20,
  bannedTerms: 1000,
} as const;

export const DEFAULT_POLICY: Policy = {
  methods: {
    enabled: ['mobilePhone', 'officePhone', 'email', 'authenticatorApp', 'recoveryCodes'],
    requiredForReset: 2,
    privilegedRoute: 'twoMethods',
    reconfirmAfterDays: 180,
    prefillFromDirectory: true,
    bootstrap: 'directoryOrSession',
    holdHours: 24,
  },
  securityQuestions: { register: 5, answer: 3, custom: [], builtIn: true },
  phone: {
    allowedCountries: ['NL', 'BE', 'DE', 'FR', 'GB', 'IE', 'US', 'CA'],
    blockedPrefixes: ['+3190', '+3184', '+3187', '+44900', '+4487', '+1900'],
    sendsPerPrefixPerHour: 30,
  },
  codes: { lifetimeSeconds: 300, maxTries: 5 },
  throttles: {
    sendsPerHourPerChannel: 5,
    minSecondsBetweenSends: 60,
    sendsPerDayPerDestination: 10,
    newDestinationsPerDay: 3,
    failedVerificationsBeforeBlock: 5,
    blockHours: 24,
  },
  grant: { lifetimeSeconds: 600, maxFlowSeconds: 900 },
  password: {
    minLength: 8,
    maxLength: 256,
    recommendedLength: 15,
    organisationName: 'Contoso',
    bannedTerms: [],
    forceChangeAtNextSignIn: false,
  },
  resets: { maxPerWindow: 5, windowDays: 1 },
  scope: { mode: 'everyone', groups: [] },
  helpdesk: {
    agentGroups: [],
    contactText: { en: 'Contact your IT helpdesk.', nl: 'Neem contact op met je IT-helpdesk.' },
    allowHandoffToPrivileged: false,
  },
  campaigns: DEFAULT_CAMPAIGN_POLICY,
};
