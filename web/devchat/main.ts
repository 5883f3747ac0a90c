/**
 * The local development chat page: Web Chat (served from node_modules as window.WebChat) talking Direct Line to the
 * development server, a demo-user picker, a language switch, the dev outbox, and an overlay for Teams dialog pages
 * (`window.devHost.openDialog(url, title)`).
 */

interface DemoUser {
  tenantId: string;
  objectId: string;
  name: string;
  upn: string;
  note?: string;
  /** admin, helpdesk, disabled, locked, blocked, unregistered, registered (labels: devchat.state.*). */
  states?: string[];
}

interface PageConfig {
  locale: Lang;
  botName: string;
  users: DemoUser[];
  strings: Record<string, string>;
}

interface OutboxItem {
  at: number;
  channel: string;
  to: string;
  subject?: string;
  text: string;
  user?: string;
}

type Lang = 'en' | 'nl';

/** The part of a botframework-directlinejs DirectLine object this page uses. */
interface DirectLineLike {
  conversationId?: string;
  token?: string;
  end(): void;
}

interface CardAction {
  type: string;
  value?: unknown;
}

type CardActionHandler = (args: { cardAction: CardAction }) => unknown;

interface WebChatGlobal {
  createDirectLine(options: { token: string; domain: string; webSocket: boolean; pollingInterval?: number }): DirectLineLike;
  renderWebChat(props: Record<string, unknown>, element: HTMLElement): void;
}

/** What Teams-like pages opened in the overlay can call on the host. */
export interface DevHost {
  openDialog(url: string, title?: string): void;
  closeDialog(): void;
  /** Like Teams' dialog submit: sends a `task/submit` invoke to the bot with `result` and closes the dialog. */
  submitDialog(result: unknown): Promise<void>;
}

declare global {
  interface Window {
    WebChat?: WebChatGlobal;
    devHost: DevHost;
  }
}

const OUTBOX_POLL_MS = 2000;
/** How long after a card button press the bot's next card still takes the focus. */
const FOCUS_WAIT_MS = 15_000;
const STORAGE_USER = 'devchat.user';
const STORAGE_LANG = 'devchat.lang';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

function userKey(u: DemoUser): string {
  return `${u.tenantId}/${u.objectId}`;
}

/** The identity the pages' API takes in development (`X-Dev-User: <tenantId>:<objectId>`). */
function devUserHeader(u: DemoUser): string {
  return `${u.tenantId}:${u.objectId}`;
}

/** Host names that all mean this machine: a page URL the bot built for one of them is opened on the page's own. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function storedLang(): Lang {
  const saved = localStorage.getItem(STORAGE_LANG);
  if (saved === 'en' || saved === 'nl') return saved;
  return navigator.language.toLowerCase().startsWith('nl') ? 'nl' : 'en';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class DevChatPage implements DevHost {
  private config: PageConfig | undefined;
  private lang: Lang = storedLang();
  private directLine: DirectLineLike | undefined;
  private user: DemoUser | undefined;
  private outboxSignature = '';
  private returnFocus: HTMLElement | null = null;

  private readonly userSelect = byId<HTMLSelectElement>('user-select');
  private readonly langSelect = byId<HTMLSelectElement>('language-select');
  private readonly host = byId<HTMLDivElement>('webchat-host');
  private readonly error = byId<HTMLParagraphElement>('chat-error');
  private readonly identity = byId<HTMLDListElement>('identity');
  private readonly about = byId<HTMLParagraphElement>('user-about');
  private readonly outboxHint = byId<HTMLParagraphElement>('outbox-hint');
  private readonly outbox = byId<HTMLOListElement>('outbox');
  private readonly backdrop = byId<HTMLDivElement>('dialog-backdrop');
  private readonly dialogTitle = byId<HTMLHeadingElement>('dialog-title');
  private readonly dialogFrame = byId<HTMLIFrameElement>('dialog-frame');
  private readonly dialogClose = byId<HTMLButtonElement>('dialog-close');
  private readonly tabChat = byId<HTMLButtonElement>('tab-chat');
  private readonly tabHelpdesk = byId<HTMLButtonElement>('tab-helpdesk');
  private readonly chatPanel = byId<HTMLDivElement>('chat-panel');
  private readonly helpdeskPanel = byId<HTMLDivElement>('helpdesk-panel');
  private readonly helpdeskHost = byId<HTMLDivElement>('helpdesk-host');
  private readonly helpdeskHint = byId<HTMLParagraphElement>('helpdesk-hint');
  private readonly helpdeskExample = byId<HTMLParagraphElement>('helpdesk-example');
  /** The helpdesk pane's conversation (the demo agent in the helpdesk channel), started when the pane is first shown. */
  private helpdeskLine: DirectLineLike | undefined;
  private helpdeskKey = '';
  /** Bumped on every (re)start: a slower, older start must not mount over a newer one. */
  private chatGeneration = 0;

  async init(): Promise<void> {
    this.langSelect.value = this.lang;
    byId<HTMLFormElement>('settings').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.start();
    });
    this.userSelect.addEventListener('change', () => {
      localStorage.setItem(STORAGE_USER, this.userSelect.value);
      void this.start();
    });
    this.langSelect.addEventListener('change', () => {
      this.lang = this.langSelect.value === 'nl' ? 'nl' : 'en';
      localStorage.setItem(STORAGE_LANG, this.lang);
      void this.loadConfig().then(() => this.start());
    });
    this.dialogClose.addEventListener('click', () => this.closeDialog());
    this.backdrop.addEventListener('keydown', (e) => this.onDialogKey(e));
    window.addEventListener('message', (e) => this.onFrameMessage(e));
    const aboutToggle = byId<HTMLButtonElement>('about-toggle');
    aboutToggle.addEventListener('click', () => {
      const open = aboutToggle.getAttribute('aria-expanded') !== 'true';
      aboutToggle.setAttribute('aria-expanded', String(open));
      aboutToggle.closest<HTMLElement>('.side')?.setAttribute('data-about', open ? 'open' : 'closed');
    });
    this.tabChat.addEventListener('click', () => this.showTab('chat'));
    this.tabHelpdesk.addEventListener('click', () => this.showTab('helpdesk'));
    for (const tab of [this.tabChat, this.tabHelpdesk]) tab.addEventListener('keydown', (e) => this.onTabKey(e));
    this.showTab('chat');
    enhanceCards(this.host, () => this.t('devchat.webchat.send'));
    enhanceCards(this.helpdeskHost, () => this.t('devchat.webchat.send'));
    await this.loadConfig();
    await this.start();
    void this.pollOutbox();
  }

  private t(key: string, params: Record<string, string> = {}): string {
    const template = this.config?.strings[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (m, name: string) => params[name] ?? m);
  }

  private async loadConfig(): Promise<void> {
    const res = await fetch(`/devchannel/config?locale=${this.lang}`, { headers: { Accept: 'application/json' } });
    this.config = (await res.json()) as PageConfig;
    document.documentElement.lang = this.lang;
    document.title = this.t('devchat.title');
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-i18n]'))) {
      const key = el.dataset.i18n;
      if (key) el.textContent = this.t(key);
    }
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-i18n-label]'))) {
      const key = el.dataset.i18nLabel;
      if (key) el.setAttribute('aria-label', this.t(key));
    }
    const wanted = this.userSelect.value || localStorage.getItem(STORAGE_USER) || '';
    this.userSelect.replaceChildren(
      ...this.config.users.map((u) => {
        const option = document.createElement('option');
        option.value = userKey(u);
        option.textContent = this.optionLabel(u);
        return option;
      }),
    );
    if (this.config.users.some((u) => userKey(u) === wanted)) this.userSelect.value = wanted;
    this.outboxSignature = '';
    this.applyWebChatStrings();
  }

  private applyWebChatStrings(): void {
    this.webChatStrings = {
      TEXT_INPUT_PLACEHOLDER: this.t('devchat.webchat.placeholder'),
      TEXT_INPUT_ALT: this.t('devchat.webchat.inputLabel'),
      TEXT_INPUT_SEND_BUTTON_ALT: this.t('devchat.webchat.send'),
    };
  }

  private webChatStrings: Record<string, string> = {};

  /** Starts a fresh conversation for the chosen user and language (a new Direct Line token and conversation). */
  async start(): Promise<void> {
    const config = this.config;
    if (!config) return;
    const generation = ++this.chatGeneration;
    this.directLine?.end();
    this.directLine = undefined;
    this.error.hidden = true;
    const user = config.users.find((u) => userKey(u) === this.userSelect.value) ?? config.users[0];
    this.user = user;
    this.renderIdentity(user);
    this.outboxSignature = '';
    if (user) localStorage.setItem('devchat.devUser', devUserHeader(user));
    this.tabChat.textContent = user ? this.t('devchat.tab.chat', { name: user.name }) : this.t('devchat.chat.label');
    void this.refreshOutbox();
    // The helpdesk pane follows the language: restart it (when it was shown) in the new one.
    if (this.helpdeskLine && this.helpdeskKey !== this.lang) void this.startHelpdesk();
    if (!user) {
      this.showError(this.t('devchat.error.noUsers'));
      return;
    }
    try {
      const directLine = await this.mount(this.host, user, 'personal', this.t('devchat.chat.label'));
      if (generation !== this.chatGeneration) {
        directLine.end();
        return;
      }
      this.directLine = directLine;
      // Lets tests and testers see which conversation is on screen.
      this.host.dataset.user = user.objectId;
      this.host.dataset.locale = this.locale();
    } catch {
      this.showError(this.t('devchat.error.connect'));
    }
  }

  private locale(): string {
    return this.lang === 'nl' ? 'nl-NL' : 'en-US';
  }

  /** A new Direct Line conversation for `user` rendered by Web Chat into `host` (a 1:1 chat or the helpdesk channel). */
  private async mount(host: HTMLElement, user: DemoUser, kind: 'personal' | 'helpdesk', label: string): Promise<DirectLineLike> {
    const locale = this.locale();
    const res = await fetch('/v3/directline/tokens/generate', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: { id: user.objectId }, tenantId: user.tenantId, locale, kind }),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const { token } = (await res.json()) as { token: string };
    const webChat = window.WebChat;
    if (!webChat) throw new Error('Web Chat did not load');
    const directLine = webChat.createDirectLine({ token, domain: `${location.origin}/v3/directline`, webSocket: false, pollingInterval: 500 });
    // A new element each time: Web Chat keeps per-element state.
    const element = document.createElement('div');
    element.setAttribute('role', 'region');
    element.setAttribute('aria-label', label);
    host.replaceChildren(element);
    webChat.renderWebChat(
      {
        directLine,
        userID: `dl_${user.objectId}`,
        username: user.name,
        locale,
        overrideLocalizedStrings: this.webChatStrings,
        styleOptions: {
          hideUploadButton: true,
          botAvatarInitials: 'PR',
          userAvatarInitials: initials(user.name),
          bubbleMaxWidth: 640,
          sendBoxButtonAlignment: 'bottom',
        },
        cardActionMiddleware: () => (next: CardActionHandler) => (args: { cardAction: CardAction }) => {
          const data = args.cardAction.value;
          const msteams = isRecord(data) && isRecord(data.msteams) ? data.msteams : undefined;
          if (kind === 'personal' && msteams?.type === 'task/fetch') {
            // Teams turns this submit into a task/fetch invoke and opens the dialog the bot answers with.
            void this.taskInvoke('task/fetch', data);
            return undefined;
          }
          // The bot's answer to this press gets the focus when it arrives (else it stays in the old card).
          this.focusAfter.set(host, { cards: cardsIn(host).length, until: Date.now() + FOCUS_WAIT_MS });
          return next(args);
        },
      },
      element,
    );
    this.watchForNewCards(host, element);
    // A message sent from the send box is a submit too: the card the bot answers with gets the focus.
    const sent = (): void => void this.focusAfter.set(host, { cards: cardsIn(host).length, until: Date.now() + FOCUS_WAIT_MS });
    element.addEventListener('keydown', (e) => {
      const target = e.target as HTMLElement | null;
      if (e.key === 'Enter' && target?.dataset.id === 'webchat-sendbox-input' && (target as HTMLInputElement).value.trim() !== '') sent();
    });
    element.addEventListener('click', (e) => {
      if ((e.target as HTMLElement | null)?.closest('button.webchat__send-button')) sent();
    });
    // Web Chat keeps Tab inside a card (Esc leaves it); Tab past a card's last field or button goes on to the message
    // box, so Tab alone gets a keyboard user from the card to typing and back (issue 11 item 6).
    element.addEventListener(
      'keydown',
      (e) => {
        if (e.key !== 'Tab' || e.shiftKey) return;
        const target = e.target as HTMLElement | null;
        const card = target?.closest<HTMLElement>('.ac-adaptiveCard');
        if (!card || !target) return;
        const focusables = Array.from(card.querySelectorAll<HTMLElement>('input:not([type="hidden"]):not([disabled]), textarea, select, button:not([disabled])'));
        if (focusables[focusables.length - 1] !== target) return;
        const box = element.querySelector<HTMLElement>('[data-id="webchat-sendbox-input"]');
        if (!box) return;
        e.preventDefault();
        e.stopPropagation();
        box.focus();
      },
      true,
    );
    return directLine;
  }

  /** The helpdesk pane: the demo helpdesk agent in the helpdesk team's channel, where `handoff` and `verify` work. */
  private async startHelpdesk(): Promise<void> {
    const agent = this.config?.users.find((u) => u.states?.includes('helpdesk'));
    this.helpdeskLine?.end();
    this.helpdeskLine = undefined;
    this.helpdeskKey = this.lang;
    if (!agent) {
      this.helpdeskHint.textContent = this.t('devchat.helpdesk.noAgent');
      this.helpdeskExample.textContent = '';
      this.helpdeskHost.replaceChildren();
      return;
    }
    this.helpdeskHint.textContent = this.t('devchat.helpdesk.hint', { name: agent.name });
    const example = this.config?.users.find((u) => !(u.states ?? []).some((st) => st === 'helpdesk' || st === 'admin' || st === 'disabled'));
    this.helpdeskExample.textContent = example ? this.t('devchat.helpdesk.example', { upn: example.upn }) : '';
    try {
      this.helpdeskLine = await this.mount(this.helpdeskHost, agent, 'helpdesk', this.t('devchat.helpdesk.label', { name: agent.name }));
      this.helpdeskHost.dataset.user = agent.objectId;
      this.helpdeskHost.dataset.locale = this.locale();
    } catch {
      this.showError(this.t('devchat.error.connect'));
    }
  }

  /** Shows the chat or the helpdesk pane (ARIA tabs); the other stays laid out so Web Chat keeps its scroll position. */
  private showTab(which: 'chat' | 'helpdesk'): void {
    const helpdesk = which === 'helpdesk';
    for (const [tab, panel, on] of [
      [this.tabChat, this.chatPanel, !helpdesk],
      [this.tabHelpdesk, this.helpdeskPanel, helpdesk],
    ] as const) {
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      panel.dataset.active = String(on);
      panel.inert = !on;
    }
    if (!helpdesk) this.tabChat.querySelector('.new')?.remove();
    if (helpdesk && (!this.helpdeskLine || this.helpdeskKey !== this.lang)) void this.startHelpdesk();
    document.body.dataset.tab = which;
  }

  /** Arrow keys, Home and End move between the tabs (the ARIA tabs pattern); Tab goes into the shown pane. */
  private onTabKey(e: KeyboardEvent): void {
    const tabs = [this.tabChat, this.tabHelpdesk];
    const i = tabs.indexOf(e.currentTarget as HTMLButtonElement);
    let next: HTMLButtonElement | undefined;
    if (e.key === 'ArrowRight') next = tabs[(i + 1) % tabs.length];
    else if (e.key === 'ArrowLeft') next = tabs[(i + tabs.length - 1) % tabs.length];
    else if (e.key === 'Home') next = tabs[0];
    else if (e.key === 'End') next = tabs[tabs.length - 1];
    if (!next) return;
    e.preventDefault();
    next.focus();
    next.click();
  }

  private showError(text: string): void {
    this.error.textContent = text;
    this.error.hidden = false;
  }

  /** Per Web Chat host: the number of cards when a card button was pressed (the next new card gets the focus). */
  private readonly focusAfter = new Map<HTMLElement, { cards: number; until: number }>();

  /**
   * Issue 11 item 6: once the bot answered a card button, the focus moves to the newest card — its first field, else
   * its first button — so a keyboard or screen-reader user goes on where the answer is. A card that arrives while the
   * chat pane is hidden marks its tab.
   */
  private watchForNewCards(host: HTMLElement, element: HTMLElement): void {
    let seen = cardsIn(host).length;
    const follow = followEnd(element);
    const observer = new MutationObserver(() => {
      if (!element.isConnected) {
        observer.disconnect();
        return;
      }
      follow.changed();
      const cards = cardsIn(host);
      if (cards.length > seen && host === this.host && this.chatPanel.dataset.active === 'false' && !this.tabChat.querySelector('.new')) {
        const badge = document.createElement('span');
        badge.className = 'new';
        badge.textContent = this.t('devchat.helpdesk.newInChat');
        this.tabChat.append(badge);
      }
      seen = cards.length;
      const after = this.focusAfter.get(host);
      if (after === undefined || cards.length <= after.cards) return;
      // An answer without a card leaves the focus where it is; a card that comes much later must not steal it.
      if (Date.now() > after.until) {
        this.focusAfter.delete(host);
        return;
      }
      const card = cards[cards.length - 1];
      if (!card) return;
      this.focusAfter.delete(host);
      // After Web Chat has finished rendering and scrolling this activity.
      setTimeout(() => follow.set(focusCard(card)), 50);
    });
    observer.observe(element, { childList: true, subtree: true });
  }

  private renderIdentity(user: DemoUser | undefined): void {
    const states = user?.states ?? [];
    this.about.textContent = user
      ? [this.t('devchat.about.intro', { name: user.name }), ...states.map((st) => this.t(`devchat.stateHelp.${st}`))].join(' ')
      : '';
    this.outboxHint.textContent = user ? this.t('devchat.outbox.hint', { name: user.name }) : '';
    const rows: [string, string][] = user
      ? [
          [this.t('devchat.identity.upn'), user.upn],
          [this.t('devchat.identity.objectId'), user.objectId],
          [this.t('devchat.identity.tenant'), user.tenantId],
        ]
      : [];
    this.identity.replaceChildren(
      ...rows.flatMap(([label, value]) => {
        const dt = document.createElement('dt');
        dt.textContent = label;
        const dd = document.createElement('dd');
        dd.textContent = value;
        return [dt, dd];
      }),
    );
  }

  private async pollOutbox(): Promise<void> {
    for (let tick = 1; ; tick++) {
      await this.refreshOutbox();
      if (tick % 2 === 0) await this.refreshStates();
      await new Promise((r) => setTimeout(r, OUTBOX_POLL_MS));
    }
  }

  /** The demo users' states, read again: the picker and "who the bot sees" follow registrations, unlocks and blocks. */
  private async refreshStates(): Promise<void> {
    const config = this.config;
    if (!config) return;
    try {
      const res = await fetch(`/devchannel/config?locale=${this.lang}`, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!res.ok || this.config !== config) return;
      const fresh = (await res.json()) as PageConfig;
      for (const u of config.users) u.states = fresh.users.find((f) => userKey(f) === userKey(u))?.states ?? u.states;
      for (const option of Array.from(this.userSelect.options)) {
        const u = config.users.find((x) => userKey(x) === option.value);
        if (u) option.textContent = this.optionLabel(u);
      }
      if (this.user) this.renderIdentity(this.user);
    } catch {
      // The server restarts during development; try again on the next tick.
    }
  }

  private optionLabel(u: DemoUser): string {
    const states = (u.states ?? []).filter((st) => st !== 'registered').map((st) => this.t(`devchat.state.${st}`));
    return states.length ? `${u.name} — ${states.join(', ')}` : u.name;
  }

  /** The chosen demo user's messages only. */
  private async refreshOutbox(): Promise<void> {
    const user = this.user;
    if (!user) return;
    try {
      const res = await fetch(`/devchannel/outbox?user=${encodeURIComponent(devUserHeader(user))}`, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (res.ok && this.user === user) this.renderOutbox(((await res.json()) as { items: OutboxItem[] }).items);
    } catch {
      // The server restarts during development; try again on the next tick.
    }
  }

  private renderOutbox(items: OutboxItem[]): void {
    const signature = `${this.user?.objectId ?? ''}:${items.length}:${items[items.length - 1]?.at ?? ''}`;
    if (signature === this.outboxSignature) return;
    this.outboxSignature = signature;
    if (items.length === 0) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = this.t('devchat.outbox.empty');
      this.outbox.replaceChildren(li);
      return;
    }
    const channelKey = (c: string): string =>
      c === 'sms' || c === 'voice' || c === 'email' ? this.t(`devchat.outbox.channel.${c}`) : c;
    this.outbox.replaceChildren(
      ...[...items].reverse().map((item, index) => {
        const li = document.createElement('li');
        if (index === 0) li.className = 'newest';
        const meta = document.createElement('div');
        meta.className = 'meta';
        const badge = document.createElement('span');
        badge.className = 'badge';
        badge.textContent = channelKey(item.channel);
        const to = document.createElement('span');
        to.textContent = this.t('devchat.outbox.to', { to: item.to });
        const time = document.createElement('time');
        const at = new Date(item.at);
        time.dateTime = at.toISOString();
        time.textContent = at.toLocaleTimeString(this.lang === 'nl' ? 'nl-NL' : 'en-GB');
        meta.append(badge, to, time);
        li.append(meta);
        if (item.subject) {
          const subject = document.createElement('p');
          subject.className = 'subject';
          subject.textContent = item.subject;
          li.append(subject);
        }
        const text = document.createElement('pre');
        text.textContent = item.text;
        li.append(text);
        return li;
      }),
    );
    // Newest first: the message the chat just announced is at the top of the list, in view.
    this.outbox.scrollTop = 0;
  }

  /** Sends an invoke as Teams would (task/fetch, task/submit) and acts on the bot's answer. */
  private async taskInvoke(name: 'task/fetch' | 'task/submit', data: unknown): Promise<void> {
    const dl = this.directLine;
    if (!dl?.conversationId || !dl.token || !this.user) return;
    const res = await fetch(`/v3/directline/conversations/${encodeURIComponent(dl.conversationId)}/activities`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${dl.token}` },
      body: JSON.stringify({
        type: 'invoke',
        name,
        value: { type: name, data, context: { theme: 'default' } },
        locale: this.lang === 'nl' ? 'nl-NL' : 'en-US',
        from: { id: `dl_${this.user.objectId}`, name: this.user.name, role: 'user' },
      }),
    });
    if (!res.ok) return;
    const answer = (await res.json()) as { body?: unknown };
    const task = isRecord(answer.body) && isRecord(answer.body.task) ? answer.body.task : undefined;
    if (task?.type === 'continue' && isRecord(task.value) && typeof task.value.url === 'string') {
      this.openDialog(task.value.url, typeof task.value.title === 'string' ? task.value.title : undefined);
    } else if (name === 'task/submit') {
      this.closeDialog();
    }
  }

  openDialog(url: string, title?: string): void {
    const target = new URL(url, location.href);
    // The bot builds page URLs from PUBLIC_BASE_URL (http://localhost:3978 by default); opened from 127.0.0.1 (or the
    // other way round) that is still this server, so the page is shown on the host name the browser used.
    if (target.origin !== location.origin && LOOPBACK_HOSTS.has(target.hostname) && LOOPBACK_HOSTS.has(location.hostname) && target.port === location.port) {
      target.protocol = location.protocol;
      target.host = location.host;
    }
    // The overlay shows this server's pages only (the CSP's frame-src 'self' would block others anyway).
    if (target.origin !== location.origin) return;
    if (target.pathname.startsWith('/app/')) {
      // The Teams pages outside Teams: who the chosen demo user is and the chosen language.
      if (this.user && !target.searchParams.has('devUser')) target.searchParams.set('devUser', devUserHeader(this.user));
      if (!target.searchParams.has('locale')) target.searchParams.set('locale', this.lang);
    }
    if (this.backdrop.hidden) this.returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const heading = title ?? this.t('devchat.dialog.defaultTitle');
    this.dialogTitle.textContent = heading;
    this.dialogFrame.title = heading;
    this.dialogFrame.src = target.href;
    // Esc closes the overlay from inside the framed page too (same origin, so its key events can be watched).
    this.dialogFrame.onload = () => {
      try {
        this.dialogFrame.contentWindow?.addEventListener('keydown', (e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            this.closeDialog();
          }
        });
      } catch {
        /* about:blank or a page that went elsewhere */
      }
    };
    this.backdrop.hidden = false;
    this.setBackgroundInert(true);
    this.dialogClose.focus();
  }

  closeDialog(): void {
    if (this.backdrop.hidden) return;
    this.backdrop.hidden = true;
    this.setBackgroundInert(false);
    this.dialogFrame.src = 'about:blank';
    this.returnFocus?.focus();
    this.returnFocus = null;
  }

  /** While the overlay is open, the page behind it can be neither focused nor read by assistive technology. */
  private setBackgroundInert(inert: boolean): void {
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('body > header, body > main, body > .skip-link'))) el.inert = inert;
  }

  async submitDialog(result: unknown): Promise<void> {
    await this.taskInvoke('task/submit', result);
  }

  private onDialogKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      e.preventDefault();
      this.closeDialog();
    } else if (e.key === 'Tab') {
      // Keep focus inside the dialog: the close button and the framed page.
      const focusables = [this.dialogClose, this.dialogFrame];
      const i = focusables.indexOf(document.activeElement as HTMLButtonElement);
      if (i !== -1) {
        e.preventDefault();
        const next = focusables[(i + (e.shiftKey ? focusables.length - 1 : 1)) % focusables.length];
        next?.focus();
      }
    }
  }

  /** Pages in the overlay may post { type: 'devHost.closeDialog' } or { type: 'devHost.submitDialog', result }. */
  private onFrameMessage(e: MessageEvent): void {
    if (e.origin !== location.origin || e.source !== this.dialogFrame.contentWindow || !isRecord(e.data)) return;
    if (e.data.type === 'devHost.closeDialog') this.closeDialog();
    else if (e.data.type === 'devHost.submitDialog') void this.submitDialog(e.data.result);
  }
}

function cardsIn(host: HTMLElement): HTMLElement[] {
  return Array.from(host.querySelectorAll<HTMLElement>('.ac-adaptiveCard'));
}

/**
 * Keeps the chat at its end while the user has not scrolled away: Web Chat lets go of the end when content above
 * changes height (a superseded card shrinking to "no longer active"), which left the newest card below the fold.
 */
function followEnd(element: HTMLElement): { changed(): void; set(on: boolean): void } {
  let following = true;
  let queued = false;
  const scroller = (): HTMLElement | null => element.querySelector<HTMLElement>('.webchat__basic-transcript__scrollable');
  const atEnd = (s: HTMLElement): boolean => s.scrollHeight - s.scrollTop - s.clientHeight < 24;
  // Only the user's own scrolling decides whether to follow (layout shifts fire scroll events too).
  const userScrolled = (): void => {
    requestAnimationFrame(() => {
      const s = scroller();
      if (s) following = atEnd(s);
    });
  };
  element.addEventListener('wheel', userScrolled, { passive: true });
  element.addEventListener('touchmove', userScrolled, { passive: true });
  element.addEventListener('keyup', (e) => {
    if (['PageUp', 'PageDown', 'Home', 'End', 'ArrowUp', 'ArrowDown'].includes(e.key)) userScrolled();
  });
  return {
    changed(): void {
      if (!following || queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        const s = scroller();
        if (following && s && !atEnd(s)) s.scrollTop = s.scrollHeight;
      });
    },
    set(on: boolean): void {
      following = on;
    },
  };
}

/**
 * The card's first field, else its first button, else the card itself (made focusable). Returns whether the chat
 * stays at its end (false when a card taller than the chat is shown from its heading).
 */
function focusCard(card: HTMLElement): boolean {
  const target =
    card.querySelector<HTMLElement>('input:not([type="hidden"]):not([disabled]), textarea, select') ??
    card.querySelector<HTMLElement>('button:not([disabled])') ??
    card;
  if (target === card && !card.hasAttribute('tabindex')) card.tabIndex = -1;
  // Web Chat keeps a card that fits scrolled into view (also while its images load); a card taller than the chat is
  // shown from its heading. Then the focus, without another scroll.
  const scroller = card.closest<HTMLElement>('.webchat__basic-transcript__scrollable');
  // Taller than the chat with its timestamp line below it: shown from the heading.
  const tall = !!scroller && card.getBoundingClientRect().height > scroller.clientHeight - 40;
  if (tall) card.scrollIntoView({ block: 'start' });
  // Back to the end (the user may have scrolled up in a tall card to press its button): Web Chat follows again.
  else if (scroller) scroller.scrollTop = scroller.scrollHeight;
  target.focus({ preventScroll: true });
  return !tall;
}

/** Adaptive Card input ids (the renderer puts them on the input's wrapper) that hold a one-time or authenticator code. */
const CODE_INPUT_IDS = new Set(['code', 'totp', 'otp']);
/** Longest code field: recovery codes (letters, longer) are not numeric. */
const MAX_CODE_LENGTH = 32;

/**
 * Issue 11 item 6, a post-render pass over what Web Chat's Adaptive Cards renderer draws (it has no hooks for these):
 * code fields get `autocomplete="one-time-code"` and `inputmode="numeric"`; a field the renderer marks invalid gets
 * `aria-invalid` and `aria-describedby` pointing at its error text (and loses both once valid); the send button gets
 * an explicit label.
 */
function enhanceCards(host: HTMLElement, sendLabel: () => string): void {
  const pass = (): void => {
    for (const input of Array.from(host.querySelectorAll<HTMLInputElement>('.ac-adaptiveCard input.ac-textInput'))) {
      const wrapper = input.closest('.ac-input-container')?.parentElement;
      const isCode = !!wrapper && CODE_INPUT_IDS.has(wrapper.id) && input.type === 'text' && input.maxLength > 0 && input.maxLength <= MAX_CODE_LENGTH;
      if (isCode && input.getAttribute('autocomplete') !== 'one-time-code') {
        input.setAttribute('autocomplete', 'one-time-code');
        input.setAttribute('inputmode', 'numeric');
      }
      const invalid = input.classList.contains('ac-input-validation-failed');
      const error = invalid ? errorTextOf(input) : undefined;
      if (invalid && error) {
        if (input.getAttribute('aria-invalid') !== 'true') input.setAttribute('aria-invalid', 'true');
        if (input.getAttribute('aria-describedby') !== error.id) input.setAttribute('aria-describedby', error.id);
      } else if (input.hasAttribute('aria-invalid')) {
        input.removeAttribute('aria-invalid');
        input.removeAttribute('aria-describedby');
      }
    }
    const label = sendLabel();
    for (const button of Array.from(host.querySelectorAll<HTMLButtonElement>('button.webchat__send-button')))
      if (button.getAttribute('aria-label') !== label) button.setAttribute('aria-label', label);
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      pass();
    });
  }).observe(host, { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] });
}

/** The renderer's error text for an input: the element after the input's container, named in its aria-labelledby. */
function errorTextOf(input: HTMLInputElement): HTMLElement | undefined {
  const container = input.closest('.ac-input-container');
  const named = new Set((input.getAttribute('aria-labelledby') ?? '').split(/\s+/).filter(Boolean));
  for (let el = container?.nextElementSibling; el; el = el.nextElementSibling) {
    if (el instanceof HTMLElement && el.id && named.has(el.id) && (el.textContent ?? '').trim() !== '') return el;
  }
  return undefined;
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => p[0]?.toUpperCase() ?? '')
    .join('');
}

function boot(): void {
  const page = new DevChatPage();
  window.devHost = {
    openDialog: (url, title) => page.openDialog(url, title),
    closeDialog: () => page.closeDialog(),
    submitDialog: (result) => page.submitDialog(result),
  };
  void page.init();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
