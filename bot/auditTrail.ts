import { readFileSync } from 'node:fs';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Clock } from '../domain/ports/clock';
import { JsonAuditLog, toLineSink, type AuditLineSink } from '../adapters/audit/jsonAuditLog';
import { JsonlFileAuditSink } from '../adapters/audit/jsonlFileAuditSink';
import { SyslogTlsAuditSink } from '../adapters/audit/syslogTlsAuditSink';
import { errorCodeOf } from './turnErrors';

export interface AuditTrailOptions {
  /** Told when a sink fails to take a line (a metric); the user's action goes on. */
  readonly onSinkError?: (sink: string) => void;
}

/**
 * The configured audit trail (AUDIT_SINKS): stdout through the logger, a rotating JSONL file, syslog over TLS.
 * Every sink gets the same sanitised line (R20). The file sink's folder is also what the admin export reads.
 */
export function createAuditTrail(config: Config, logger: Logger, clock: Clock, options: AuditTrailOptions = {}): JsonAuditLog {
  const names: string[] = [];
  const sinks: AuditLineSink[] = [];
  const a = config.audit;
  for (const kind of a.sinks) {
    names.push(kind);
    if (kind === 'stdout') sinks.push(toLineSink(logger.child({ stream: 'audit' })));
    else if (kind === 'file')
      sinks.push(
        new JsonlFileAuditSink({
          dir: a.file.dir,
          instance: a.instance,
          maxBytes: a.file.maxBytes,
          rotateMs: a.file.rotateHours * 3_600_000,
          retentionMs: a.file.retentionDays * 86_400_000,
          clock,
        }),
      );
    else {
      const read = (f: string | undefined): Buffer | undefined => (f ? readFileSync(f) : undefined);
      const ca = read(a.syslog.caFile);
      const cert = read(a.syslog.certFile);
      const key = read(a.syslog.keyFile);
      sinks.push(
        new SyslogTlsAuditSink({
          host: a.syslog.host ?? 'localhost',
          port: a.syslog.port,
          facility: a.syslog.facility,
          ...(ca ? { ca } : {}),
          ...(cert ? { cert } : {}),
          ...(key ? { key } : {}),
          onError: (e) => logger.warn({ sink: 'syslog', errorCode: errorCodeOf(e) }, 'audit syslog connection failed'),
        }),
      );
    }
  }
  return new JsonAuditLog(sinks, config.keys.auditPseudonym, clock, (i, e) => {
    options.onSinkError?.(names[i] ?? 'unknown');
    logger.error({ sink: names[i], errorCode: errorCodeOf(e) }, 'audit sink failed');
  });
}
