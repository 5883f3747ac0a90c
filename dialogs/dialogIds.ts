/**
 * Dialog ids and the flow schema version are a persisted schema (architecture rule 3): dialog stacks in Redis name
 * these ids, and a waterfall's identity includes its step count. Never rename an id casually; bump
 * FLOW_SCHEMA_VERSION whenever a waterfall's steps change, so conversations left mid-dialog by an older deploy are
 * reset with an explanation instead of failing.
 */
export const FLOW_SCHEMA_VERSION = 1;

export const DIALOG_IDS = {
  ROOT: 'root',
  ROOT_WATERFALL: 'root.waterfall',
  SECURITY_INFO: 'securityInfo',
  RESET: 'resetPassword',
  UNLOCK: 'unlockAccount',
  VERIFY: 'verifyIdentity',
  HANDOFF: 'helpdeskHandoff',
  VERIFY_CHOOSE: 'verifyIdentity.choose',
  VERIFY_PROVE: 'verifyIdentity.prove',
  RESET_START: 'resetPassword.start',
  RESET_PASSWORD: 'resetPassword.password',
  UNLOCK_START: 'unlockAccount.start',
  CALLER_VERIFY: 'callerVerification',
  CALLER_VERIFY_START: 'callerVerification.start',
  CHECK_ACCOUNT: 'checkAccount',
  CHECK_ACCOUNT_STEPS: 'checkAccount.steps',
} as const;
