/** An HTTP answer of the pages API: status and a stable `error` code (never a detail). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

/**
 * The one table from a use-case's refusal to HTTP (rule 16): status and the stable `error` code the pages read.
 * Routes never decide a status themselves; an unknown reason is a 409 with the reason as its code.
 */
const REFUSALS: Readonly<Record<string, readonly [number, string]>> = {
  not_found: [404, 'not_found'],
  unknown_method: [404, 'not_found'],
  no_method: [404, 'not_found'],
  no_flow: [404, 'not_found'],
  no_pending: [404, 'not_found'],
  proof_required: [403, 'step_up_required'],
  // R31 + R4: one proof is there; a second method of another kind must be proven too (GET /api/stepup offers them).
  second_proof_required: [403, 'second_step_up_required'],
  bootstrap_required: [403, 'bootstrap_required'],
  helpdesk_required: [403, 'helpdesk_required'],
  account_unavailable: [403, 'forbidden'],
  blocked: [423, 'blocked'],
  throttled: [429, 'throttled'],
  recovery_cap: [429, 'recovery_cap'],
  wrong: [422, 'code_invalid'],
  malformed: [422, 'code_format'],
  invalid: [422, 'code_invalid'],
  replayed: [422, 'code_invalid'],
  expired: [422, 'code_unusable'],
  too_many_tries: [422, 'code_unusable'],
  no_code: [422, 'code_unusable'],
  destination_refused: [422, 'destination_refused'],
  password_rejected: [422, 'password_rejected'],
  password_policy: [422, 'password_refused_by_directory'],
  password_history: [422, 'password_refused_by_directory'],
  password_too_short: [422, 'password_refused_by_directory'],
  password_too_long: [422, 'password_refused_by_directory'],
  password_complexity: [422, 'password_refused_by_directory'],
  password_min_age: [422, 'password_refused_by_directory'],
  // The directory may not reset this account (insufficient access): only the helpdesk can help.
  directory_denied: [403, 'directory_denied'],
  in_progress: [409, 'in_progress'],
  not_reconfirmable: [409, 'not_reconfirmable'],
  method_unavailable: [409, 'method_unavailable'],
  // A grant that is gone, spent, elsewhere or not applied: verify again in the chat.
  grant_expired: [409, 'grant_unavailable'],
  no_grant: [409, 'grant_unavailable'],
  consumed: [409, 'grant_unavailable'],
  wrong_conversation: [409, 'grant_unavailable'],
  not_applied: [409, 'grant_unavailable'],
  send_failed: [502, 'send_failed'],
};

/** A refusal as the HTTP error the table says (with `retryAt` as ISO time when the use-case gave one). */
export function refusal(reason: string, retryAt?: number, extra: Record<string, unknown> = {}): ApiError {
  const [status, code] = REFUSALS[reason] ?? [409, reason];
  return new ApiError(status, code, { ...extra, ...(retryAt === undefined ? {} : { retryAt: new Date(retryAt).toISOString() }) });
}

