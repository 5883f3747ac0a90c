/** A counter to add to: `field` is `name` or `group:value` (e.g. `sends.prefix:+31612`). */
export interface CounterIncrement {
  readonly field: string;
  readonly by?: number;
}

export type FlowGoal = 'reset' | 'unlock';

/** What the registration coverage scan found (users in scope, with enough methods, by method kind). */
export interface CoverageSnapshot {
  /** Epoch ms when the scan finished. */
  readonly at: number;
  readonly usersInScope: number;
  /** Users whose confirmed methods meet the reset policy (R4), as the reset would judge them. */
  readonly enoughMethods: number;
  /** Users with at least one confirmed method. */
  readonly anyMethod: number;
  /** Users with a confirmed method of each kind. */
  readonly byKind: Readonly<Record<string, number>>;
}

/**
 * Time-bucketed counters for the admin insights (issue 14): every event adds to the counters of its UTC hour and UTC
 * day, atomically (several bot instances write at once). Buckets are kept 400 days. A field group (the part before
 * `:`) holds at most `groupCap` distinct values per bucket; more values count as `<group>:other`, so the memory of a
 * day is bounded whatever the input. Flow marks remember, per pseudonymous user, when a reset or unlock began
 * (funnel and time to a finished reset).
 */
export interface InsightsStore {
  add(at: number, increments: readonly CounterIncrement[]): Promise<void>;
  startFlow(user: string, goal: FlowGoal, at: number): Promise<void>;
  /** The user's flow mark as of `now` (the event's time): marks older than an hour are gone. */
  currentFlow(user: string, now: number): Promise<{ readonly goal: FlowGoal; readonly at: number } | null>;
  /** The flow mark, removed in the same step: of two instances finishing at once, one gets it. */
  takeFlow(user: string, now: number): Promise<{ readonly goal: FlowGoal; readonly at: number } | null>;
  /** Counters of each UTC day from `fromDay` to `toDay` (day = floor(ms / 86 400 000)), inclusive. */
  days(fromDay: number, toDay: number): Promise<readonly Readonly<Record<string, number>>[]>;
  /** The given fields of each UTC hour from `fromHour` to `toHour` (hour = floor(ms / 3 600 000)), inclusive. */
  hours(fromHour: number, toHour: number, fields: readonly string[]): Promise<readonly (readonly number[])[]>;
  /** Memory of one day (its day and hour buckets) in bytes as the store measures it, and its field count. */
  usage(day: number): Promise<{ readonly bytes: number; readonly fields: number }>;
  saveCoverage(snapshot: CoverageSnapshot): Promise<void>;
  coverage(): Promise<CoverageSnapshot | null>;
}

export const INSIGHTS_RETENTION_DAYS = 400;
/** Distinct values per field group and bucket (prefixes, reasons, countries); beyond: `<group>:other`. */
export const INSIGHTS_GROUP_CAP = 100;
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
