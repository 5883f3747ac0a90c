/**
 * "Set up your authenticator app" dialog page: shows the QR code and key of one pending enrolment (the ticket can be
 * read once), asks for the 6-digit code, confirms it with the bot's API, then closes the dialog with no secret.
 */
import { PageHost } from '../shared/pageHost';

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

interface Enrolment {
  qrDataUri: string;
  key: string;
}

async function main(): Promise<void> {
  const host = await PageHost.start();
  host.applyStrings();
  document.title = host.t('web.authenticator.title');
  const ticket = new URLSearchParams(location.search).get('ticket') ?? '';
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
  if (answer.status !== 200) {
    status.textContent = answer.body.error === 'not_found' ? host.t('web.authenticator.alreadyShown') : host.errorText(answer);
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
      try {
        await navigator.clipboard.writeText(shown.key.replace(/\s/g, ''));
        status.textContent = host.t('web.authenticator.copied');
      } catch {
        // Clipboard access is often refused inside the Teams frame: select the key so the user can copy it.
        const range = document.createRange();
        range.selectNodeContents(key);
        const selection = window.getSelection();
        selection?.removeAllRanges();
        selection?.addRange(range);
        status.textContent = host.t('web.authenticator.copyFailed');
      }
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

void main();
