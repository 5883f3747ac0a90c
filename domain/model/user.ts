/** The caller, as the channel identifies them: Entra object id within a tenant. Never a free-text name (R2). */
export interface UserRef {
  readonly tenantId: string;
  readonly objectId: string;
}

/** Stable key for a user; adapters wrap it in a Redis hash tag so all of one user's keys share a slot (F20). */
export function userKey(user: UserRef): string {
  return `${user.tenantId}:${user.objectId}`;
}

export type Language = 'en' | 'nl';
