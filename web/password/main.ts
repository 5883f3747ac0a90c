/** "Choose a new password" dialog page: live policy feedback, strength meter, show/hide, submit to the bot's API. */
import { PageHost } from '../shared/pageHost';

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

async function main(): Promise<void> {
  const host = await PageHost.start();
  host.applyStrings();
  document.title = host.t('web.password.title');
  const flowId = new URLSearchParams(location.search).get('flowId') ?? '';
  const form = el<HTMLFormElement>('form');
  const password = el<HTMLInputElement>('password');
  const confirmation = el<HTMLInputElement>('confirmation');
  const toggle = el<HTMLButtonElement>('toggle');
  const meter = el<HTMLMeterElement>('meter');
  const strengthText = el<HTMLSpanElement>('strength-text');
  const feedback = el<HTMLUListElement>('feedback');
  const status = el<HTMLParagraphElement>('status');
  const submit = el<HTMLButtonElement>('submit');

  const setToggle = (shown: boolean): void => {
    password.type = shown ? 'text' : 'password';
    confirmation.type = password.type;
    toggle.setAttribute('aria-pressed', String(shown));
    toggle.textContent = host.t(shown ? 'web.password.hide' : 'web.password.show');
  };
  setToggle(false);
  toggle.addEventListener('click', () => setToggle(password.type === 'password'));

  let timer: number | undefined;
  let sequence = 0;
  const check = async (): Promise<void> => {
    const mine = ++sequence;
    if (password.value === '') {
      feedback.replaceChildren();
      meter.value = 0;
      strengthText.textContent = '';
      return;
    }
    const answer = await host.api('POST', '/api/password/check', { flowId, password: password.value, locale: host.config.locale });
    if (mine !== sequence) return;
    if (answer.status !== 200) {
      status.textContent = host.errorText(answer);
      return;
    }
    const body = answer.body as { ok: boolean; reasons: { id: string; text: string }[]; advice: string[]; score: number | null };
    const items = body.reasons.map((r) => {
      const li = document.createElement('li');
      li.dataset.reason = r.id;
      li.textContent = r.text;
      return li;
    });
    if (body.ok) {
      const li = document.createElement('li');
      li.className = 'ok';
      li.dataset.reason = 'ok';
      li.textContent = host.t('web.password.meetsRules');
      items.push(li);
    }
    for (const a of body.advice) {
      const li = document.createElement('li');
      li.className = 'advice';
      li.textContent = a;
      items.push(li);
    }
    feedback.replaceChildren(...items);
    const score = body.score ?? 0;
    meter.value = score;
    strengthText.textContent = host.t(`web.password.strength.${score}`);
  };
  for (const field of [password, confirmation])
    field.addEventListener('input', () => {
      field.removeAttribute('aria-invalid');
      if (field === confirmation) confirmation.setAttribute('aria-describedby', 'status');
    });
  password.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void check(), 250);
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      submit.disabled = true;
      status.textContent = '';
      const answer = await host.api('POST', `/api/flows/${encodeURIComponent(flowId)}/password`, {
        password: password.value,
        confirmation: confirmation.value,
        locale: host.config.locale,
      });
      const err = answer.body.error;
      if (answer.status === 200 || answer.status === 202) {
        password.value = '';
        confirmation.value = '';
        form.hidden = true;
        const state = answer.status === 200 ? 'done' : 'pending';
        status.textContent = host.t(state === 'done' ? 'web.password.done' : 'web.password.pending');
        host.close({ verb: 'passwordDialogDone', flowId, status: state });
        return;
      }
      submit.disabled = false;
      if (err === 'password_rejected') {
        const reasons = (answer.body.reasons as { id: string; text: string }[] | undefined) ?? [];
        feedback.replaceChildren(...reasons.map((r) => Object.assign(document.createElement('li'), { textContent: r.text })));
        // The reasons are tied to the field they are about (issue 11 item 6): a mismatch to the confirmation.
        const field = reasons.some((r) => r.id === 'mismatch') ? confirmation : password;
        field.setAttribute('aria-invalid', 'true');
        if (field === confirmation) confirmation.setAttribute('aria-describedby', 'feedback');
        field.focus();
      } else if (err === 'grant_unavailable') status.textContent = host.t('web.password.grantGone');
      else if (err === 'in_progress') status.textContent = host.t('web.password.inProgress');
      else if (err === 'recovery_cap') {
        // C6: when the window lets one more through, in the browser's own time zone (the user's).
        const at = typeof answer.body.retryAt === 'string' ? new Date(answer.body.retryAt) : null;
        const time = at ? at.toLocaleString(document.documentElement.lang || undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }) : '';
        status.textContent = host.t('web.password.dailyCap', { time });
      }
      else if (err === 'password_refused_by_directory') status.textContent = host.t('web.password.refusedByDirectory');
      else status.textContent = host.errorText(answer);
    })();
  });
}

void main();
