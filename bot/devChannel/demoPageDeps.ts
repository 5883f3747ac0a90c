/**
 * What the local chat page learns from the running app (development only): the dev outbox with the words the real
 * senders would use, and each demo user with the states that matter for trying the journeys (admin, locked, disabled,
 * helpdesk agent, registered or not, blocked) — read live, so the picker tells the truth after an unlock.
 */
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';
import type { DevOutbox } from '../../adapters/senders/devOutbox';
import type { UserRef } from '../../domain/model/user';
import type { Policy } from '../../domain/policy/policy';
import type { Directory } from '../../domain/ports/directory';
import type { VerificationBlock } from '../../domain/ports/verificationBlock';
import type { DemoUser, DemoUserState, OutboxItem } from './registerDevChannel';

export interface DemoPageSources {
  readonly directory: Directory;
  readonly outbox: DevOutbox | undefined;
  readonly policy: Policy;
  readonly confirmedMethodCount: (user: UserRef) => Promise<number>;
  readonly block: VerificationBlock;
  readonly now: () => number;
}

export function demoPageDeps(s: DemoPageSources): {
  listOutbox(): readonly OutboxItem[];
  demoUsers(): readonly DemoUser[];
  describeUser(user: DemoUser): Promise<readonly DemoUserState[]>;
  verifyPassword?: (objectId: string, password: string) => Promise<boolean>;
} {
  const directory = s.directory instanceof MemoryDirectory ? s.directory : undefined;
  const agentGroups = new Set(s.policy.helpdesk.agentGroups.map((g) => g.toLowerCase()));
  return {
    listOutbox: () =>
      (s.outbox?.list() ?? []).map((e) => ({
        at: e.at,
        channel: e.channel,
        to: e.to,
        ...(e.user ? { user: `${e.user.tenantId}:${e.user.objectId}` } : {}),
        ...(e.subject ? { subject: e.subject } : {}),
        text: e.text,
      })),
    demoUsers: () => directory?.listUsers() ?? [],
    describeUser: async (u) => {
      const ref = { tenantId: u.tenantId, objectId: u.objectId };
      const [found, count, blockedUntil] = await Promise.all([s.directory.findUser(ref), s.confirmedMethodCount(ref), s.block.blockedUntil(ref)]);
      const states: DemoUserState[] = [];
      if (found?.privileged) states.push('admin');
      if (found && found.groups.some((g) => agentGroups.has(g.toLowerCase()))) states.push('helpdesk');
      if (found && !found.enabled) states.push('disabled');
      if (found?.locked) states.push('locked');
      if (blockedUntil !== null && blockedUntil > s.now()) states.push('blocked');
      states.push(count === 0 ? 'unregistered' : 'registered');
      return states;
    },
    ...(directory ? { verifyPassword: (id: string, pw: string) => directory.verifyPassword(id, pw) } : {}),
  };
}
