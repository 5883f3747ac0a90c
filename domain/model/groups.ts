/**
 * Group references that authorise (R32): object ids (Entra id, AD objectGUID, OpenLDAP entryUUID) or LDAP DNs —
 * never a display name or a bare cn, which anyone who may create a group can copy. Directory adapters report a
 * user's groups (transitively) in these forms; policy lists them in these forms (the configuration refuses names).
 */

/** One spelling per group: GUIDs lower-case without braces; DNs lower-case with the blanks around `=` and `,` gone. */
export function groupKey(ref: string): string {
  const t = ref.trim();
  const guid = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i.exec(t);
  if (guid?.[1]) return guid[1].toLowerCase();
  return t
    .split(/(?<!\\),/)
    .map((rdn) => rdn.trim().replace(/\s*=\s*/, '='))
    .join(',')
    .toLowerCase();
}

/** Is any of the user's groups one of `wanted` (by object id or DN)? */
export function inAnyGroup(userGroups: readonly string[], wanted: readonly string[]): boolean {
  if (wanted.length === 0) return false;
  const keys = new Set(wanted.map(groupKey));
  return userGroups.some((g) => keys.has(groupKey(g)));
}
