import { METHOD_KINDS, type CodeChannel, type MethodKind } from '../model/methods';

/**
 * A verification method as the rest of the product sees it: never the clear destination or any secret.
 * `destinationId` is an opaque fingerprint (keyed hash) of the normalised destination, so two methods that reach the
 * same number or address can be recognised without decrypting anything (R4).
 */
export interface RegisteredMethod {
  readonly id: string;
  readonly kind: MethodKind;
  /** Masked phone number (last 2 digits) or address (first letter + domain). */
  readonly maskedDestination?: string;
  readonly destinationId?: string;
  /** Epoch ms of the last successful code round trip / TOTP code / answer set; null = not yet confirmed. */
  readonly confirmedAt: number | null;
  readonly lastUsedAt: number | null;
  readonly createdAt: number;
  /** 'directory' = pre-filled from the directory, unconfirmed until the user proves it. */
  readonly source: 'user' | 'directory';
  /** Channels a code may take: mobile phone sms/voice, office phone voice, e-mail email. */
  readonly channels: readonly CodeChannel[];
  /** Security questions: the registered question ids (never the answers). */
  readonly questionIds?: readonly string[];
}

/**
 * The one order methods are listed in (security info, the verification choices): by kind in METHOD_KINDS order, then
 * the user's own before directory pre-fills, then oldest first. Store order is not used (a Redis hash has none), so a
 * changed method keeps its place instead of moving to the end.
 */
export function inDisplayOrder<T extends Pick<RegisteredMethod, 'kind' | 'createdAt' | 'source'>>(methods: readonly T[]): T[] {
  const rank = (m: T): number => METHOD_KINDS.indexOf(m.kind);
  return [...methods].sort((a, b) => rank(a) - rank(b) || (a.source === b.source ? 0 : a.source === 'user' ? -1 : 1) || a.createdAt - b.createdAt);
}

/** Channels each kind supports. */
export function channelsFor(kind: MethodKind): readonly CodeChannel[] {
  switch (kind) {
    case 'mobilePhone':
      return ['sms', 'voice'];
    case 'officePhone':
      return ['voice'];
    case 'email':
      return ['email'];
    default:
      return [];
  }
}

/** Kinds whose destination receives a one-time code. */
export function isCodeKind(kind: MethodKind): boolean {
  return kind === 'mobilePhone' || kind === 'officePhone' || kind === 'email';
}

/** "+31612345678" → "•••••••••78" (only the last 2 digits stay). */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 2) return '••';
  return '•'.repeat(Math.max(4, digits.length - 2)) + digits.slice(-2);
}

/** "jan.jansen@contoso.com" → "j•••@contoso.com" (first letter and domain). */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '•••';
  const first = [...address.slice(0, at)][0] ?? '';
  return `${first}•••@${address.slice(at + 1)}`;
}

/** Mask a destination for a channel. */
export function maskDestination(channel: CodeChannel, destination: string): string {
  return channel === 'email' ? maskEmail(destination) : maskPhone(destination);
}
