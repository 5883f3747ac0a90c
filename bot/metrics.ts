import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one bot process. A registry per app instance (tests run several in one process). */
export class Metrics {
  readonly registry = new Registry();
  readonly turns = new Counter({
    name: 'sspr_turns_total',
    help: 'Turns processed, by activity type and outcome',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly turnSeconds = new Histogram({
    name: 'sspr_turn_duration_seconds',
    help: 'Time to process one turn',
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'sspr_errors_total',
    help: 'Turn errors by stable error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly redisFailures = new Counter({
    name: 'sspr_redis_failures_total',
    help: 'Redis operations that failed or timed out',
    registers: [this.registry],
  });

  readonly auditSinkFailures = new Counter({
    name: 'sspr_audit_sink_failures_total',
    help: 'Audit lines a sink could not take, by sink (stdout, file, syslog)',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  readonly unhandledRejections = new Counter({
    name: 'sspr_unhandled_rejections_total',
    help: 'Promise rejections nobody handled (logged with an incident id; the process kept serving)',
    registers: [this.registry],
  });
  readonly inboundRefused = new Counter({
    name: 'sspr_inbound_refused_total',
    help: 'Requests refused by the inbound gate (malformed activity or body), by route',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  readonly insightsFailures = new Counter({
    name: 'sspr_insights_failures_total',
    help: 'Audit events whose insights counters could not be updated (the audit line itself was written)',
    registers: [this.registry],
  });

  /** Business events (issue 14), counted as their audit events are written: resets, unlocks, registrations, … */
  readonly business = new Counter({
    name: 'sspr_business_events_total',
    help: 'Business events: reset, unlock, registration, block, throttle, send (with kind sms, voice or email)',
    labelNames: ['event', 'kind'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
