/** One line of the audit trail as written (sanitised, R20): `time`, `type`, `outcome`, `user` (pseudonym), …. */
export type ArchivedAuditLine = Readonly<Record<string, unknown>>;

/** Where the audit trail can be read back (the JSONL file sink's folder). */
export interface AuditArchive {
  /** Lines whose time is in [from, to] (epoch ms), oldest file first. */
  read(from: number, to: number): AsyncIterable<ArchivedAuditLine>;
}
