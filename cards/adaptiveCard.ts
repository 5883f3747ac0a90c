/** Minimal typing of the Adaptive Card 1.5 JSON we build. Cards are plain data; the dialog wraps them for the SDK. */
export interface AdaptiveCard {
  readonly type: 'AdaptiveCard';
  readonly $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  readonly version: '1.5';
  readonly body: readonly CardElement[];
  readonly actions?: readonly CardAction[];
  readonly msteams?: { readonly width?: 'Full' };
  readonly speak?: string;
}

export type CardElement = Readonly<Record<string, unknown>> & { readonly type: string };
export type CardAction = Readonly<Record<string, unknown>> & { readonly type: string; readonly title: string };

export function card(body: readonly CardElement[], actions?: readonly CardAction[], speak?: string): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    ...(actions && actions.length ? { actions } : {}),
    ...(speak ? { speak } : {}),
  };
}

export const heading = (text: string): CardElement => ({
  type: 'TextBlock',
  text,
  weight: 'Bolder',
  size: 'Medium',
  wrap: true,
  style: 'heading',
});

export const paragraph = (text: string, extra: Record<string, unknown> = {}): CardElement => ({
  type: 'TextBlock',
  text,
  wrap: true,
  ...extra,
});

/** Verbs of secondary buttons (Back, Cancel, another method, resend): they never validate or carry the card's inputs. */
const SECONDARY_VERB = /(^|\.)(back|cancel|other|resend)$/;

/**
 * An Action.Submit whose data carries a verb from cards/verbs.ts (architecture rule 7). Secondary buttons get
 * `associatedInputs: "none"`: pressing Back on an empty required field is not "Enter the code", and a filled field is
 * not sent along to a strict schema that refuses it.
 */
export const submit = (title: string, data: Readonly<Record<string, unknown>>, style?: 'positive' | 'destructive'): CardAction => ({
  type: 'Action.Submit',
  title,
  data,
  ...(style ? { style } : {}),
  ...(SECONDARY_VERB.test(String(data.verb)) ? { associatedInputs: 'none' } : {}),
});
