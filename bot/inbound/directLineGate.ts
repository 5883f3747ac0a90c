import { z } from 'zod';
import { Locale, shallow, text, token } from './activityGate';

/**
 * What a Direct Line client (the local chat page) may post to the development channel, parsed like /api/messages
 * (issue 16): a deep `value` or `channelData` was forwarded and reported as "bot unreachable", and a deep
 * `clientActivityID` was echoed into the stream, after which every GET of that conversation answered 500.
 */
export const DirectLineClientActivity = z.looseObject({
  type: z.enum(['message', 'event', 'invoke', 'typing', 'messageReaction']),
  text: text(32_000).optional(),
  textFormat: token(16).optional(),
  name: token(128).optional(),
  locale: Locale.optional(),
  replyToId: token(256).optional(),
  speak: text(4_000).optional(),
  inputHint: token(32).optional(),
  value: z.unknown().refine(shallow(10), { message: 'too_deep' }).optional(),
  attachments: z.array(z.looseObject({ contentType: token(256) }).refine(shallow(12), { message: 'too_deep' })).max(16).optional(),
  from: z.looseObject({ id: token(256).optional(), name: token(256).optional() }).refine(shallow(2), { message: 'too_deep' }).optional(),
  channelData: z
    .looseObject({ clientActivityID: token(128).optional(), clientTimestamp: token(64).optional() })
    .refine(shallow(8), { message: 'too_deep' })
    .optional(),
});

export type DirectLineClientActivity = z.infer<typeof DirectLineClientActivity>;
