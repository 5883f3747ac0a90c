/**
 * Free-text intents in English and Dutch. Deliberately simple keyword rules: the bot is menu-driven and the words
 * people type for these few goals are predictable; anything else shows the menu.
 */
export type Intent = 'reset' | 'unlock' | 'securityInfo' | 'help' | 'cancel' | 'greeting' | 'helpdesk' | 'unknown';

const RULES: readonly (readonly [Intent, RegExp])[] = [
  ['cancel', /^(cancel|stop|quit|exit|abort|never ?mind|annuleer|annuleren|stoppen|afbreken|laat maar)[.!]*$/],
  ['help', /^(help|\?|what can you do|hulp|help me|wat kun je)[.!?]*$/],
  ['helpdesk', /\b(helpdesk|service ?desk|human|agent|medewerker|mens)\b/],
  ['unlock', /\b(unlock|locked|lock(ed)? out|ontgrendel|ontgrendelen|geblokkeerd|vergrendeld|buitengesloten)\b/],
  [
    'reset',
    /\b(forgot|forgotten|reset|new password|change (my )?password|password|vergeten|wachtwoord|nieuw wachtwoord|herstel)\b/,
  ],
  [
    'securityInfo',
    /\b(register|registration|my methods|methods|security info|verification|authenticator|phone number|registreer|registreren|methoden|beveiligingsgegevens|beveiligingsinfo)\b/,
  ],
  ['greeting', /^(hi|hello|hey|hallo|hoi|goedemorgen|goedemiddag|good (morning|afternoon)|start)\b/],
];

/** Classify a chat message. Mentions (`<at>…</at>`) and punctuation are ignored; case-insensitive. */
export function recognizeIntent(text: string | undefined): Intent {
  if (!text) return 'unknown';
  const clean = text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  for (const [intent, re] of RULES) if (re.test(clean)) return intent;
  return 'unknown';
}
