/**
 * Free-text intents in English and Dutch. Deliberately simple rules over normalised words: the bot is menu-driven and
 * the words people type for these few goals are predictable. Words of five letters or more are matched with one typo
 * allowed (a letter missing, extra, wrong or two swapped: "pasword", "wachtwoort", "inlogen", "unlcok"). Anything
 * else shows the menu. The table in test/unit/intents.test.ts holds the phrasings this must understand.
 */
export type Intent =
  | 'reset'
  | 'unlock'
  | 'securityInfo'
  | 'check'
  | 'help'
  | 'cancel'
  | 'greeting'
  | 'helpdesk'
  | 'helpdeskCommand'
  | 'thanks'
  | 'menu'
  | 'stopReminders'
  | 'unknown';

/** The words the rules below are written in; a typed word one typo away from one of these is read as it. */
const VOCABULARY = [
  'password',
  'passwords',
  'forgot',
  'forgotten',
  'locked',
  'unlock',
  'blocked',
  'account',
  'login',
  'logon',
  'signin',
  'remember',
  'register',
  'security',
  'methods',
  'authenticator',
  'thanks',
  'thank',
  'cancel',
  'helpdesk',
  'service',
  'wachtwoord',
  'vergeten',
  'inloggen',
  'aanmelden',
  'geblokkeerd',
  'ontgrendel',
  'ontgrendelen',
  'vergrendeld',
  'buitengesloten',
  'registreren',
  'registreer',
  'beveiligingsgegevens',
  'methodes',
  'methoden',
  'bedankt',
  'dankjewel',
  'dankuwel',
  'annuleren',
  'controleer',
  'controleren',
] as const;

const RULES: readonly (readonly [Intent, RegExp])[] = [
  // "Stop these reminders" (issue 13): before cancel, so a plain "stop" stays cancel.
  ['stopReminders', /\b(stop|no more|unsubscribe)\b.*\breminders?\b|\b(stop|geen)\b.*\bherinneringen?\b/],
  // An agent's helpdesk command typed in the 1:1 chat (they belong in the helpdesk channel).
  ['helpdeskCommand', /^(handoff|hand-off|hand off)( |$)|^verify \S+@\S+/],
  ['cancel', /^(cancel|stop|quit|exit|abort|never ?mind|forget it|annuleer|annuleren|stoppen|stop maar|afbreken|laat maar( zitten)?)( please| alsjeblieft)?$/],
  [
    'thanks',
    /^(ok(ay)? |great |super |top )?(thanks|thank you|thank u|thx|ty|cheers|much appreciated|bedankt|dankjewel|dank je( wel)?|dank u( wel)?|dankuwel|merci|thanks a lot|thank you so much|thanks so much|heel erg bedankt|top bedankt|super bedankt|fijn bedankt)( a lot| so much| very much| voor je hulp| for your help| for the help)?$/,
  ],
  [
    'menu',
    /^(the )?(main )?menu( please| alsjeblieft)?$|^(show|open|give) (me )?(the )?(main )?menu$|^(back to|go to) (the )?(main )?menu$|^(options|start over|begin again|hoofdmenu|opnieuw beginnen|begin opnieuw|terug naar (het )?(hoofd)?menu|(toon|laat) (me )?(het )?menu( zien)?|het menu|naar het menu)$/,
  ],
  ['help', /^(help|\?|what can you do|what do you do|how does (this|it) work|help me|hulp|help mij|wat kun je|wat kan je|wat doe je|hoe werkt (dit|het))( please| alsjeblieft)?$/],
  ['helpdesk', /\b(helpdesk|service ?desk|it support|human|a person|real person|agent|medewerker|een mens|iemand van it|supportdesk)\b/],
  ['check', /\b(check|status of) (my )?account\b|\baccount status\b|what'?s wrong with my account|\bcontroleer(en)? (mijn )?account\b|mijn account (controleren|checken)|wat is er mis met mijn account|accountstatus/],
  [
    'unlock',
    /\b(unlock|locked|lock(ed)? out|blocked|ontgrendel|ontgrendelen|geblokkeerd|vergrendeld|buitengesloten|op slot|account is dicht)\b/,
  ],
  [
    'reset',
    /\b(forgot|forgotten|reset|new password|change (my )?password|password|passwords|do not remember|cannot remember|vergeten|wachtwoord|nieuw wachtwoord|herstel|weet (mijn|het) wachtwoord niet)\b/,
  ],
  [
    'securityInfo',
    /\b(register|registration|my methods|methods|security info|verification methods|authenticator|phone number|registreer|registreren|methoden|methodes|beveiligingsgegevens|beveiligingsinfo|telefoonnummer)\b/,
  ],
  // "I can't sign in" without saying why: the account check tells whether it is locked and offers the right step.
  [
    'check',
    /\b(cannot|unable to|not able to|could not|does not let me|won'?t let me) (sign|log) ?(in|on)\b|\b(sign|log) ?(in|on) (does not|is not|isn'?t) work|\bkan niet (meer )?(inloggen|aanmelden|in ?loggen|binnenkomen)\b|\b(inloggen|aanmelden) lukt niet\b|\blukt (het )?niet om in te loggen\b|\bkom (er )?niet (meer )?(in|binnen)\b|\bik kan er niet in\b/,
  ],
  ['greeting', /^(hi|hello|hey|hallo|hoi|goedemorgen|goedemiddag|goedenavond|good (morning|afternoon|evening)|start)\b/],
];

/** Classify a chat message. Mentions (`<at>…</at>`), accents and punctuation are ignored; case-insensitive. */
export function recognizeIntent(text: string | undefined): Intent {
  if (!text) return 'unknown';
  const clean = normalise(text);
  if (clean === '') return text.trim() === '?' ? 'help' : 'unknown';
  for (const [intent, re] of RULES) if (re.test(clean)) return intent;
  return 'unknown';
}

function normalise(text: string): string {
  const words = text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .slice(0, 200)
    // Contractions and spellings of "can't", "sign in", "log in" in one form each.
    .replace(/\b(can'?t|can not|cant|cannot)\b/g, 'cannot')
    .replace(/\b(don'?t|dont|do not)\b/g, 'do not')
    .replace(/\b(doesn'?t|doesnt)\b/g, 'does not')
    .replace(/\bcouldn'?t\b/g, 'could not')
    .replace(/[^a-z0-9@.'?\- ]+/g, ' ')
    .replace(/(^|\s)[.?!-]+|[.?!]+(?=\s|$)/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .map(correct);
  return words
    .join(' ')
    .replace(/\bsignin\b/g, 'sign in')
    .replace(/\blogin\b/g, 'log in')
    .replace(/\blogon\b/g, 'log on')
    .replace(/\bin loggen\b/g, 'inloggen');
}

/** A word one typo away from a vocabulary word becomes that word (only for words of five letters or more). */
function correct(word: string): string {
  if (word.length < 5 || (VOCABULARY as readonly string[]).includes(word)) return word;
  for (const v of VOCABULARY) if (Math.abs(v.length - word.length) <= 1 && oneEditApart(word, v)) return v;
  return word;
}

/** Damerau–Levenshtein distance ≤ 1 (insert, delete, substitute, or swap two neighbours). */
function oneEditApart(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length === b.length) {
    const diffs: number[] = [];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diffs.push(i);
    if (diffs.length === 1) return true;
    const [i, j] = diffs;
    return diffs.length === 2 && i !== undefined && j === i + 1 && a[i] === b[j] && a[j] === b[i];
  }
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  let i = 0;
  while (i < short.length && short[i] === long[i]) i++;
  return short.slice(i) === long.slice(i + 1);
}
