import { recognizeIntent } from '../../dialogs/intents';

describe('free-text intents (en + nl)', () => {
  test.each([
    ['I forgot my password', 'reset'],
    ['wachtwoord vergeten', 'reset'],
    ['Ik ben mijn wachtwoord vergeten', 'reset'],
    ['reset my password please', 'reset'],
    ['unlock', 'unlock'],
    ['my account is locked', 'unlock'],
    ['ontgrendel', 'unlock'],
    ['mijn account ontgrendelen', 'unlock'],
    ['register', 'securityInfo'],
    ['my methods', 'securityInfo'],
    ['registreren', 'securityInfo'],
    ['help', 'help'],
    ['Hulp', 'help'],
    ['cancel', 'cancel'],
    ['stop', 'cancel'],
    ['annuleren', 'cancel'],
    ['hi', 'greeting'],
    ['hallo', 'greeting'],
    ['<at>Password Reset Assistant</at> help', 'help'],
    ['what is the weather', 'unknown'],
    ['', 'unknown'],
  ])('%j → %s', (text, intent) => {
    expect(recognizeIntent(text)).toBe(intent);
  });
});
