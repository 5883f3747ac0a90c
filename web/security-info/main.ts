/**
 * The "Security info" personal tab: the user's verification methods (masked) with their status, and the remove (with
 * an inline confirmation) and re-confirm actions through the bot's API. Plain buttons and labelled inputs, so the tab
 * works with the keyboard alone; focus moves to what appeared after each action.
 */
import { PageHost } from '../shared/pageHost';

interface MethodView {
  id: string;
  kind: string;
  maskedDestination?: string;
  confirmed: boolean;
  needsReconfirmation: boolean;
  removalBreaksReset: boolean;
  canReconfirm: boolean;
}

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

function make<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

class SecurityInfoTab {
  private readonly list = el<HTMLUListElement>('methods');
  private readonly empty = el<HTMLParagraphElement>('empty');
  private readonly loading = el<HTMLParagraphElement>('loading');
  private readonly status = el<HTMLParagraphElement>('status');
  private readonly title = el<HTMLHeadingElement>('title');

  constructor(private readonly host: PageHost) {}

  private say(text: string): void {
    this.status.textContent = text;
  }

  /** Loads and renders the list; `focusId` puts the focus back on that method's first button. */
  async load(focusId?: string): Promise<void> {
    const answer = await this.host.api('GET', '/api/methods');
    this.loading.hidden = true;
    if (answer.status !== 200) {
      this.say(this.host.errorText(answer));
      return;
    }
    const methods = (answer.body.methods as MethodView[] | undefined) ?? [];
    this.list.replaceChildren(...methods.map((m) => this.item(m)));
    this.list.hidden = methods.length === 0;
    this.empty.hidden = methods.length > 0;
    if (focusId) this.list.querySelector<HTMLButtonElement>(`li[data-method-id="${CSS.escape(focusId)}"] button`)?.focus();
  }

  private statusText(m: MethodView): { key: string; state: string } {
    if (!m.confirmed) return { key: 'web.securityInfo.status.unconfirmed', state: 'unconfirmed' };
    if (m.needsReconfirmation) return { key: 'web.securityInfo.status.reconfirm', state: 'reconfirm' };
    return { key: 'web.securityInfo.status.confirmed', state: 'confirmed' };
  }

  private item(m: MethodView): HTMLLIElement {
    const t = (k: string, p?: Record<string, string | number>): string => this.host.t(k, p);
    const kind = t(`web.securityInfo.kind.${m.kind}`);
    const { key, state } = this.statusText(m);
    const nameId = `method-${m.id}-name`;
    const li = make('li');
    li.dataset.methodId = m.id;
    li.dataset.status = state;
    const name = make('strong', { id: nameId }, kind);
    const line = make('div', {}, name);
    if (m.maskedDestination) line.append(' ', make('span', { className: 'destination' }, m.maskedDestination));
    line.append(' — ', make('span', { className: 'method-status' }, t(key)));
    li.append(line);

    const actions = make('div', { className: 'row actions' });
    const panel = make('div', { className: 'panel' });
    const remove = make('button', { type: 'button', textContent: t('web.securityInfo.remove') });
    remove.setAttribute('aria-describedby', nameId);
    remove.addEventListener('click', () => this.askRemove(m, panel, remove));
    actions.append(remove);
    if (m.canReconfirm) {
      const again = make('button', { type: 'button', textContent: t('web.securityInfo.reconfirm') });
      again.setAttribute('aria-describedby', nameId);
      again.addEventListener('click', () => void this.startReconfirm(m, panel, again));
      actions.append(again);
    }
    li.append(actions, panel);
    return li;
  }

  /** Inline confirmation (window.confirm does not work inside Teams): text, "Yes, remove", "Cancel". */
  private askRemove(m: MethodView, panel: HTMLElement, opener: HTMLButtonElement): void {
    const t = (k: string): string => this.host.t(k);
    const textId = `method-${m.id}-confirm`;
    const question = make('p', { id: textId }, t('web.securityInfo.confirmRemove'));
    if (m.removalBreaksReset) question.append(' ', make('strong', {}, t('web.securityInfo.breaksReset')));
    const yes = make('button', { type: 'button', textContent: t('web.securityInfo.confirmYes') });
    const no = make('button', { type: 'button', textContent: t('web.securityInfo.cancel') });
    yes.setAttribute('aria-describedby', textId);
    const group = make('div', { className: 'row' }, yes, no);
    group.setAttribute('role', 'group');
    group.setAttribute('aria-labelledby', textId);
    panel.replaceChildren(question, group);
    no.addEventListener('click', () => {
      panel.replaceChildren();
      opener.focus();
    });
    yes.addEventListener('click', () => {
      void (async () => {
        yes.disabled = true;
        const remove = async (): Promise<boolean> => {
          const answer = await this.host.api('DELETE', `/api/methods/${encodeURIComponent(m.id)}`);
          if (answer.status === 200) {
            await this.load();
            this.say(t('web.securityInfo.removed'));
            this.title.focus();
            return true;
          }
          // R31: a Teams session is not proof — prove one of your methods first, then the removal goes ahead.
          if (answer.body.error === 'step_up_required' || answer.body.error === 'second_step_up_required') {
            await this.stepUp(panel, opener, remove);
            return true;
          }
          this.say(this.host.errorText(answer));
          return false;
        };
        if (!(await remove())) yes.disabled = false;
      })();
    });
    yes.focus();
  }

  /** Asks the API for a code (sent by text, call or e-mail; the app shows its own), then shows a code field. */
  private async startReconfirm(m: MethodView, panel: HTMLElement, opener: HTMLButtonElement): Promise<void> {
    const t = (k: string, p?: Record<string, string>): string => this.host.t(k, p);
    opener.disabled = true;
    const answer = await this.host.api('POST', `/api/methods/${encodeURIComponent(m.id)}/reconfirm`, { locale: this.host.config.locale });
    opener.disabled = false;
    if (answer.status !== 200) {
      const err = answer.body.error;
      this.say(
        err === 'throttled'
          ? t('web.securityInfo.throttled')
          : err === 'send_failed'
            ? t('web.securityInfo.sendFailed')
            : err === 'not_reconfirmable'
              ? t('web.securityInfo.notReconfirmable')
              : this.host.errorText(answer),
      );
      return;
    }
    const destination = typeof answer.body.maskedDestination === 'string' ? answer.body.maskedDestination : '';
    const hint = answer.body.channel === 'app' ? t('web.securityInfo.enterAppCode') : t('web.securityInfo.codeSent', { destination });
    this.codeForm(panel, opener, `method-${m.id}`, hint, `/api/methods/${encodeURIComponent(m.id)}/reconfirm/check`, async () => {
      await this.load(m.id);
      this.say(t('web.securityInfo.confirmed'));
    });
  }

  /**
   * R31 step-up in the tab: "first prove it's you" with one button per confirmed method; the code (sent, or from the
   * app) is checked by the bot's API (the same step-up as the chat, for this user, 10 minutes), then `then` runs.
   */
  private async stepUp(panel: HTMLElement, opener: HTMLButtonElement, then: () => Promise<boolean>): Promise<void> {
    const t = (k: string, p?: Record<string, string>): string => this.host.t(k, p);
    const answer = await this.host.api('GET', '/api/stepup');
    const choices = (answer.body.choices as { id: string; kind: string; maskedDestination?: string }[] | undefined) ?? [];
    if (answer.status !== 200 || choices.length === 0) {
      this.say(t('web.securityInfo.stepUpInChat'));
      return;
    }
    const textId = `stepup-${Math.random().toString(36).slice(2)}`;
    // R31 + R4: after a first proof the API may ask for a second method of another kind (and offers only those).
    const intro = make('p', { id: textId }, t(answer.body.needed === 'second_proof_required' ? 'web.securityInfo.stepUpSecond' : 'web.securityInfo.stepUp'));
    const group = make('div', { className: 'row' });
    group.setAttribute('role', 'group');
    group.setAttribute('aria-labelledby', textId);
    for (const c of choices) {
      const via = c.id.endsWith('~voice') ? ` (${t('web.securityInfo.viaVoice')})` : '';
      const b = make('button', { type: 'button', textContent: `${t(`web.securityInfo.kind.${c.kind}`)}${c.maskedDestination ? ` ${c.maskedDestination}` : ''}${via}` });
      b.addEventListener('click', () => {
        void (async () => {
          b.disabled = true;
          const sent = await this.host.api('POST', `/api/stepup/${encodeURIComponent(c.id)}`, { locale: this.host.config.locale });
          b.disabled = false;
          if (sent.status !== 200) {
            this.say(sent.body.error === 'throttled' ? t('web.securityInfo.throttled') : this.host.errorText(sent));
            return;
          }
          const hint = sent.body.status === 'code_sent' ? t('web.securityInfo.codeSent', { destination: typeof sent.body.maskedDestination === 'string' ? sent.body.maskedDestination : '' }) : t('web.securityInfo.enterAppCode');
          this.codeForm(panel, opener, 'stepup', hint, `/api/stepup/${encodeURIComponent(c.id)}/check`, async () => {
            panel.replaceChildren();
            await then();
          });
        })();
      });
      group.append(b);
    }
    panel.replaceChildren(intro, group);
    group.querySelector('button')?.focus();
  }

  /** A labelled code field with Check and Cancel; the code goes to `path` and is never kept. */
  private codeForm(panel: HTMLElement, opener: HTMLButtonElement, idBase: string, hintText: string, path: string, onOk: () => Promise<void>): void {
    const t = (k: string): string => this.host.t(k);
    const hintId = `${idBase}-hint`;
    const inputId = `${idBase}-code`;
    const hint = make('p', { id: hintId }, hintText);
    const label = make('label', { htmlFor: inputId, textContent: t('web.securityInfo.codeLabel') });
    const input = make('input', { id: inputId, type: 'text', inputMode: 'numeric', autocomplete: 'one-time-code', maxLength: 12, required: true });
    input.setAttribute('aria-describedby', hintId);
    const check = make('button', { type: 'submit', textContent: t('web.securityInfo.check') });
    const cancel = make('button', { type: 'button', textContent: t('web.securityInfo.cancel') });
    const form = make('form', { noValidate: true }, hint, label, make('div', { className: 'row' }, input, check, cancel));
    panel.replaceChildren(form);
    cancel.addEventListener('click', () => {
      panel.replaceChildren();
      opener.focus();
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void (async () => {
        // The format is the server's to judge (one code rule, in domain/): the page only sends what was typed.
        const code = input.value;
        input.value = '';
        check.disabled = true;
        const r = await this.host.api('POST', path, { code, locale: this.host.config.locale });
        check.disabled = false;
        if (r.status === 200) {
          await onOk();
          return;
        }
        input.setAttribute('aria-invalid', 'true');
        const err = r.body.error;
        this.say(err === 'code_invalid' || err === 'code_format' ? t('web.securityInfo.invalidCode') : err === 'blocked' ? t('web.securityInfo.blocked') : err === 'expired' || err === 'too_many_tries' || err === 'no_code' ? t('web.securityInfo.codeUnusable') : this.host.errorText(r));
        input.focus();
      })();
    });
    input.focus();
  }
}

async function main(): Promise<void> {
  const host = await PageHost.start();
  host.applyStrings();
  document.title = host.t('web.securityInfo.title');
  await new SecurityInfoTab(host).load();
}

void main();
