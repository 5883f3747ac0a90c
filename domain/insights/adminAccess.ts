import type { UserRef } from '../model/user';
import type { Directory } from '../ports/directory';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Is this caller an admin (Insights page, admin API)? Members of a configured admin group, matched by group object id
 * only — a display name never authorises anything (R32). The groups of the caller's SSO token are used when the token
 * carries them; when it does not (no group claims, or Entra's overage marker) the directory is asked. A disabled or
 * unknown account is never an admin.
 */
export class AdminAccess {
  private readonly wanted: ReadonlySet<string>;

  constructor(
    private readonly deps: { readonly directory: Pick<Directory, 'findUser'>; readonly adminGroupIds: readonly string[] },
  ) {
    this.wanted = new Set(deps.adminGroupIds.filter((g) => GUID.test(g)).map((g) => g.toLowerCase()));
  }

  async isAdmin(user: UserRef, tokenGroups?: readonly string[] | 'overage'): Promise<boolean> {
    if (this.wanted.size === 0) return false;
    if (tokenGroups !== undefined && tokenGroups !== 'overage' && tokenGroups.some((g: string) => this.wanted.has(g.toLowerCase()))) return true;
    const found = await this.deps.directory.findUser(user);
    if (!found || !found.enabled) return false;
    return found.groups.some((g) => GUID.test(g) && this.wanted.has(g.toLowerCase()));
  }
}
