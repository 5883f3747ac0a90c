import { z } from 'zod';

/**
 * Every card submit carries a `verb` from this closed union and is parsed with zod at the edge (architecture rule 7).
 * Anything that does not parse gets a polite re-ask and goes no further. Strings are bounded so a 10 KB paste is refused.
 */
const flowId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
const shortText = (max: number) => z.string().max(max);

export const MENU_CHOICES = ['reset', 'unlock', 'securityInfo', 'help'] as const;
export type MenuChoice = (typeof MENU_CHOICES)[number];

export const MenuVerb = z.object({ verb: z.literal('menu'), choice: z.enum(MENU_CHOICES) }).strict();
export const CancelVerb = z.object({ verb: z.literal('cancel'), flowId: flowId.optional() }).strict();

/** The verbs of the root dialog. Journeys add theirs to this union in the same file. */
export const RootVerb = z.discriminatedUnion('verb', [MenuVerb, CancelVerb]);
export type RootVerb = z.infer<typeof RootVerb>;

export { flowId as FlowIdSchema, shortText as boundedText };
