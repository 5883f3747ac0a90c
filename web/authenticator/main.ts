/**
 * The dialog page for secrets (R35): "Set up your authenticator app" shows the QR code and key of one pending
 * enrolment (the ticket can be read once), asks for the 6-digit code, confirms it with the bot's API, then closes the
 * dialog with no secret; a recovery-codes ticket shows the new codes once and closes when the user saved them.
 */
import { PageHost } from '../shared/pageHost';

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

interface Enrolment {
  kind: 'authenticator';
  qrDataUri: string;
  key: string;
}

interface RecoveryCodes {
  kind: 'recoveryCodes';
  codes: string[];
}

/** Copies text, or selects the element's text where the Teams frame refuses clipboard access. */
async function copyOrSelect(text: string, node: HTMLElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    return false;
  }
}

async function main(): Promise<void> {
  const host = await PageHost.start();
  host.applyStrings();
  const params = new URLSearchParams(location.search);
  const ticket = params.get('ticket') ?? '';
  // Only the words while loading: what the page shows is the ticket's (the server's) to say.
  const codesExpected = params.get('show') === 'recoveryCodes';
  document.title = host.t(codesExpected ? 'web.recoveryCodes.title' : 'web.authenticator.title');
  if (codesExpected) el<HTMLElement>('title').textContent = host.t('web.recoveryCodes.title');
  const enrolment = el<HTMLDivElement>('enrolment');
  const qr = el<HTMLImageElement>('qr');
  const key = el<HTMLElement>('key');
  const copy = el<HTMLButtonElement>('copy');
  const form = el<HTMLFormElement>('form');
  const code = el<HTMLInputElement>('code');
  const confirm = el<HTMLButtonElement>('confirm');
  const status = el<HTMLParagraphElement>('status');

  /** Removes the QR code and key from the page (after confirming, or when the page goes away). */
  const forgetSecret = (): void => {
    qr.removeAttribute('src');
    key.textContent = '';
    enrolment.hidden = true;
  };
  window.addEventListener('pagehide', forgetSecret);

  const answer = await host.api('GET', `/api/enrolments/${encodeURIComponent(ticket)}`);
  const isCodes = (answer.body as { kind?: unknown }).kind === 'recoveryCodes';
  if (answer.status !== 200) {
    status.textContent =
      answer.body.error === 'not_found'
        ? host.t(codesExpected ? 'web.recoveryCodes.alreadyShown' : 'web.authenticator.alreadyShown')
        : answer.body.error === 'step_up_required' || answer.body.error === 'second_step_up_required' || answer.body.error === 'bootstrap_required'
          ? host.t('web.recoveryCodes.stepUp')
          : host.errorText(answer);
    return;
  }
  if (isCodes) {
    showRecoveryCodes(host, (answer.body as unknown as RecoveryCodes).codes, status);
    return;
  }
  const shown = answer.body as unknown as Enrolment;
  qr.src = shown.qrDataUri;
  qr.alt = host.t('web.authenticator.qrAlt');
  key.textContent = shown.key;
  enrolment.hidden = false;
  code.focus();

  copy.addEventListener('click', () => {
    void (async () => {
      status.textContent = host.t((await copyOrSelect(shown.key.replace(/\s/g, ''), key)) ? 'web.authenticator.copied' : 'web.authenticator.copyFailed');
    })();
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    // The code format is the server's to judge (one rule, in domain/): the page sends what was typed.
    const digits = code.value;
    void (async () => {
      confirm.disabled = true;
      status.textContent = '';
      const result = await host.api('POST', `/api/enrolments/${encodeURIComponent(ticket)}/confirm`, { code: digits, locale: host.config.locale });
      code.value = '';
      if (result.status === 200) {
        forgetSecret();
        status.textContent = host.t('web.authenticator.done');
        host.close({ verb: 'authenticatorDialogDone', status: 'done' });
        return;
      }
      confirm.disabled = false;
      code.setAttribute('aria-invalid', 'true');
      status.textContent =
        result.body.error === 'code_format'
          ? host.t('web.authenticator.codeFormat')
          : result.body.error === 'code_invalid'
            ? host.t('web.authenticator.invalid')
            : result.body.error === 'blocked'
              ? host.t('web.securityInfo.blocked')
              : host.errorText(result);
      code.focus();
    })();
  });
  code.addEventListener('input', () => code.removeAttribute('aria-invalid'));
}

/** Recovery codes, once: the list, copy, and "I saved them" (which clears them and closes the dialog). */
function showRecoveryCodes(host: PageHost, codes: readonly string[], status: HTMLElement): void {
  document.title = host.t('web.recoveryCodes.title');
  el<HTMLElement>('title').textContent = host.t('web.recoveryCodes.title');
  const box = el<HTMLDivElement>('recovery');
  const list = el<HTMLOListElement>('codes');
  for (const c of codes) {
    const li = document.createElement('li');
    li.textContent = c;
    list.append(li);
  }
  const forget = (): void => {
    list.replaceChildren();
    box.hidden = true;
  };
  window.addEventListener('pagehide', forget);
  box.hidden = false;
  el<HTMLButtonElement>('codes-copy').addEventListener('click', () => {
    void (async () => {
      status.textContent = host.t((await copyOrSelect(codes.join('\n'), list)) ? 'web.authenticator.copied' : 'web.authenticator.copyFailed');
    })();
  });
  const saved = el<HTMLButtonElement>('codes-saved');
  saved.focus();
  saved.addEventListener('click', () => {
    forget();
    host.close({ verb: 'recoveryCodesDialogDone', status: 'done' });
  });
}

void main();
