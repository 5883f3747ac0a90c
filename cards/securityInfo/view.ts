import type { Translator } from '../../locales';

/** What every security-info card needs: the turn's translator and the flow id its submits carry. */
export interface SecurityInfoCardView {
  readonly t: Translator;
  readonly flowId: string;
}

/** One method as the cards show it: kind, masked destination, status. Never a clear destination or secret. */
export interface MethodLine {
  readonly id: string;
  readonly kind: string;
  readonly maskedDestination?: string;
  readonly status: 'confirmed' | 'fromDirectory' | 'pending' | 'reconfirm';
}

/** "mobile phone •••••••••78": the method's name inside a sentence ("Confirm your mobile phone"), in sentence case. */
export function methodName(t: Translator, kind: string, masked?: string): string {
  const name = t(`securityInfo.kindInline.${kind}`);
  return masked ? `${name} ${masked}` : name;
}

/** "Mobile phone •••••••••78" (a label on its own, such as a list line) */
export function methodLabel(t: Translator, kind: string, masked?: string): string {
  const name = t(`securityInfo.kind.${kind}`);
  return masked ? `${name} ${masked}` : name;
}
