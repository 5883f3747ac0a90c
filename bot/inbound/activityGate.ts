import { z } from 'zod';
import { depthOf } from './bodyDecoder';

/**
 * The inbound gate of /api/messages (issue 16): one zod schema of the activity fields this product (and botbuilder
 * on its behalf) reads, applied before botbuilder sees the activity. A genuine Bot Connector activity always passes;
 * anything else gets a clean 400 and never a turn. Unknown fields pass through untouched (the channel adds fields
 * over time), but every field that is read, copied into replies or stored in a conversation reference is typed,
 * bounded in length and bounded in nesting depth.
 */

/** A lone UTF-16 surrogate cannot be encoded in the outgoing JSON reply (or in a Redis key) without loss. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Control characters (other than tab, CR, LF) have no place in ids, names or URLs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !LONE_SURROGATE.test(s), { message: 'lone_surrogate' });
export const token = (max: number) => text(max).refine((s) => !CONTROL.test(s), { message: 'control_character' });
const id = (max = 256) => token(max).min(1);
export const shallow = (maxDepth: number) => (v: unknown) => depthOf(v, maxDepth) <= maxDepth;

/** BCP 47-ish: what Teams sends (`en-US`, `nl-NL`, `zh-Hant-TW`). */
export const Locale = z.string().max(35).regex(/^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/);

const Account = z
  .looseObject({
    id: id(),
    name: token(256).optional(),
    aadObjectId: token(64).optional(),
    role: token(32).optional(),
  })
  .refine(shallow(3), { message: 'too_deep' });

const Conversation = z
  .looseObject({
    id: id(1024),
    conversationType: token(32).optional(),
    tenantId: token(64).optional(),
    isGroup: z.boolean().optional(),
    name: token(256).optional(),
  })
  .refine(shallow(3), { message: 'too_deep' });

const ChannelData = z
  .looseObject({
    tenant: z.looseObject({ id: token(64).optional() }).optional(),
    eventType: token(64).optional(),
  })
  .refine(shallow(8), { message: 'too_deep' });

const Entity = z.looseObject({ type: token(64) }).refine(shallow(6), { message: 'too_deep' });
const Attachment = z
  .looseObject({ contentType: token(256), contentUrl: token(4096).optional(), name: token(512).optional() })
  .refine(shallow(20), { message: 'too_deep' });

/** Card data and invoke values are parsed by their own schemas later (cards/verbs.ts); here only their size. */
const Value = z.unknown().refine(shallow(10), { message: 'too_deep' });

export interface GatePolicy {
  /** Development accepts an http serviceUrl on loopback (the dev channel, the Emulator, tests). */
  readonly allowLoopbackHttp: boolean;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

const serviceUrl = (policy: GatePolicy) =>
  token(2048).refine(
    (s) => {
      let u: URL;
      try {
        u = new URL(s);
      } catch {
        return false;
      }
      if (u.username || u.password) return false;
      if (u.protocol === 'https:') return true;
      return policy.allowLoopbackHttp && u.protocol === 'http:' && isLoopback(u.hostname);
    },
    { message: 'service_url' },
  );

function activitySchema(policy: GatePolicy) {
  return z
    .looseObject({
      type: token(64).min(1),
      id: id().optional(),
      name: token(128).optional(),
      channelId: id(64),
      serviceUrl: serviceUrl(policy),
      from: Account,
      recipient: Account,
      conversation: Conversation,
      text: text(32_000).optional(),
      textFormat: token(16).optional(),
      locale: Locale.optional(),
      replyToId: id().optional(),
      deliveryMode: z.enum(['normal', 'notification', 'expectReplies', 'ephemeral']).optional(),
      timestamp: token(64).optional(),
      localTimestamp: token(64).optional(),
      localTimezone: token(64).optional(),
      membersAdded: z.array(Account).max(256).optional(),
      membersRemoved: z.array(Account).max(256).optional(),
      entities: z.array(Entity).max(32).optional(),
      attachments: z.array(Attachment).max(16).optional(),
      channelData: ChannelData.optional(),
      value: Value.optional(),
    })
    .superRefine((a, ctx) => {
      // Teams always sends channelData; botbuilder's Teams handler reads channelData.eventType without a check.
      if (a.channelId === 'msteams' && a.channelData === undefined) ctx.addIssue({ code: 'custom', path: ['channelData'], message: 'required' });
      if (a.type === 'invoke' && a.name === undefined && a.channelId !== 'msteams') ctx.addIssue({ code: 'custom', path: ['name'], message: 'required' });
    });
}

export type GateResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly invoke: boolean; readonly fields: readonly string[] };

/** The gate: parse once; on refusal say which fields (paths only, never values) for the debug line. */
export function createActivityGate(policy: GatePolicy): (body: unknown) => GateResult {
  const schema = activitySchema(policy);
  return (body) => {
    const parsed = schema.safeParse(body);
    if (parsed.success) return { ok: true };
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.slice(0, 2).map(String).join('.') || '(activity)'))].slice(0, 8);
    const invoke = typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'invoke';
    return { ok: false, invoke, fields };
  };
}

/** The Universal Action Model error body (application/vnd.microsoft.error), used for refused and unsupported invokes. */
export function invokeError(code: 'BadRequest' | 'NotSupported', message: string): { statusCode: 400; type: string; value: { code: string; message: string } } {
  return { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code, message } };
}
