/**
 * The Insights page (issue 14), in the Teams personal tab and — in development — from the local chat page: charts of
 * the admin insights API for a date range, each with its data as an accessible table, and a CSV download of the daily
 * numbers. Only admins get data: the API checks the admin group server-side; anyone else sees a refusal.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { PageHost } from '../shared/pageHost';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

interface Ranked {
  key: string;
  count: number;
}
interface Funnel {
  started: number;
  verified: number;
  done: number;
  refused: number;
  failed: number;
  topReasons: Ranked[];
}
interface Report {
  from: string;
  to: string;
  days: string[];
  daily: Record<'resets' | 'unlocks' | 'registrations' | 'blocks' | 'throttles' | 'sms' | 'voice' | 'email' | 'phoneBaseline', number[]>;
  funnel: { reset: Funnel; unlock: Funnel };
  registrations: { byKind: Ranked[] };
  sends: { byCountry: Ranked[]; byPrefix: Ranked[]; peakHour: { at: string; count: number; ratio: number } | null; alerts: number };
  handoffs: { outcomes: Ranked[] };
  timeToReset: { finished: number; medianSeconds: number | null; histogram: { le: number | null; count: number }[] };
  coverage: { at: number; usersInScope: number; enoughMethods: number; anyMethod: number; byKind: Record<string, number> } | null;
}

const COLORS = ['#0f6cbd', '#c50f1f', '#107c10', '#8764b8', '#ca5010', '#038387'];
const CSV_COLUMNS = ['resets', 'unlocks', 'registrations', 'blocks', 'throttles', 'sms', 'voice', 'email', 'phoneBaseline'] as const;

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

const isoDay = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** A CSV field: quoted when it holds a separator, quote or line break. */
function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

class InsightsPage {
  private readonly report = el<HTMLDivElement>('report');
  private readonly status = el<HTMLParagraphElement>('status');
  private readonly from = el<HTMLInputElement>('from');
  private readonly to = el<HTMLInputElement>('to');
  private readonly csv = el<HTMLButtonElement>('csv');
  private charts: Chart[] = [];
  private last: Report | null = null;

  constructor(private readonly host: PageHost) {}

  async start(): Promise<void> {
    this.host.applyStrings();
    document.title = this.host.t('web.insights.title');
    const now = Date.now();
    this.to.value = isoDay(now);
    this.from.value = isoDay(now - 6 * 86_400_000);
    const params = new URLSearchParams(location.search);
    if (params.get('from')) this.from.value = params.get('from') ?? '';
    if (params.get('to')) this.to.value = params.get('to') ?? '';
    el<HTMLFormElement>('range').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.load();
    });
    this.csv.addEventListener('click', () => this.download());
    await this.load();
  }

  private t(key: string, params: Record<string, string | number> = {}): string {
    return this.host.t(`web.insights.${key}`, params);
  }

  private async load(): Promise<void> {
    this.status.textContent = this.t('loading');
    const answer = await this.host.api('GET', `/api/admin/insights?from=${encodeURIComponent(this.from.value)}&to=${encodeURIComponent(this.to.value)}`);
    if (answer.status !== 200) {
      this.clear();
      const code = answer.body.error;
      this.status.textContent =
        code === 'not_admin' ? this.t('refused') : typeof code === 'string' && code.startsWith('range') ? this.t('rangeError') : answer.status === 401 ? this.host.errorText(answer) : this.t('error');
      this.status.dataset.state = code === 'not_admin' ? 'refused' : 'error';
      return;
    }
    this.last = answer.body as unknown as Report;
    this.status.textContent = '';
    this.status.dataset.state = 'ready';
    this.render(this.last);
  }

  private clear(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    this.report.replaceChildren();
    this.report.hidden = true;
    this.csv.disabled = true;
    this.last = null;
  }

  private render(r: Report): void {
    this.clear();
    this.last = r;
    const days = r.days;
    const series = (keys: (keyof Report['daily'])[], names: string[]): { label: string; data: number[] }[] => keys.map((k, i) => ({ label: names[i] ?? k, data: r.daily[k] }));
    this.card('activity', 'bar', days, series(['resets', 'unlocks', 'registrations'], [this.t('series.resets'), this.t('series.unlocks'), this.t('series.registrations')]), this.t('day'));

    const steps = ['started', 'verified', 'done', 'refused', 'failed'] as const;
    this.card(
      'funnel',
      'bar',
      steps.map((s) => this.t(`funnel.${s}`)),
      (['reset', 'unlock'] as const).map((g) => ({ label: this.t(`funnel.${g}`), data: steps.map((s) => r.funnel[g][s]) })),
      this.t('funnel.step'),
    );
    this.rankedCard('reasons', r.funnel.reset.topReasons, this.t('reason'));

    const sends = series(['sms', 'voice', 'email'], [this.t('series.sms'), this.t('series.voice'), this.t('series.email')]);
    const sendsCard = this.card('sends', 'bar', days, [...sends, { label: this.t('series.baseline'), data: r.daily.phoneBaseline, line: true }], this.t('day'));
    if (r.sends.peakHour)
      sendsCard.append(make('p', { textContent: this.t('peak', { at: r.sends.peakHour.at.slice(0, 16).replace('T', ' '), count: r.sends.peakHour.count, ratio: r.sends.peakHour.ratio, alerts: r.sends.alerts }) }));
    const where = [...r.sends.byCountry.map((x) => ({ key: x.key, count: x.count })), ...r.sends.byPrefix.map((x) => ({ key: x.key, count: x.count }))];
    this.rankedCard('where', where, `${this.t('country')} / ${this.t('prefix')}`);

    this.card('blocks', 'bar', days, series(['blocks', 'throttles'], [this.t('series.blocks'), this.t('series.throttles')]), this.t('day'));
    this.rankedCard('handoffs', r.handoffs.outcomes, this.t('outcome'));

    const time = this.card(
      'time',
      'bar',
      r.timeToReset.histogram.map((h) => (h.le === null ? this.t('time.longer') : String(h.le))),
      [{ label: this.t('count'), data: r.timeToReset.histogram.map((h) => h.count) }],
      this.t('time.bucket'),
    );
    time.insertBefore(
      make('p', { textContent: r.timeToReset.medianSeconds === null ? this.t('time.none') : this.t('time.median', { seconds: r.timeToReset.medianSeconds, count: r.timeToReset.finished }) }),
      time.children[1] ?? null,
    );

    const cov = r.coverage;
    const coverage = this.rankedCard('coverage', cov ? Object.entries(cov.byKind).map(([key, count]) => ({ key, count })) : [], this.t('kind'));
    coverage.insertBefore(
      make('p', {
        textContent: cov ? this.t('coverage.summary', { enough: cov.enoughMethods, users: cov.usersInScope, any: cov.anyMethod, at: new Date(cov.at).toISOString().slice(0, 16).replace('T', ' ') }) : this.t('coverage.none'),
      }),
      coverage.children[1] ?? null,
    );
    this.report.hidden = false;
    this.csv.disabled = false;
  }

  /** One chart with its table: a canvas described for screen readers, and the same numbers in a table. */
  private card(id: string, type: 'bar' | 'line', labels: string[], datasets: { label: string; data: number[]; line?: boolean }[], firstColumn: string): HTMLElement {
    const title = this.t(`${id}.title`);
    const canvas = make('canvas', { id: `chart-${id}` });
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', title);
    const section = make('section', { className: 'card', id: `card-${id}` }, make('h2', { textContent: title }), make('div', { className: 'chart' }, canvas));
    const head = make('tr', {}, make('th', { scope: 'col', textContent: firstColumn }), ...datasets.map((d) => make('th', { scope: 'col', textContent: d.label })));
    const rows = labels.map((l, i) => make('tr', {}, make('th', { scope: 'row', textContent: l }), ...datasets.map((d) => make('td', { textContent: String(d.data[i] ?? 0) }))));
    const table = make('table', {}, make('caption', { className: 'visually-hidden', textContent: title }), make('thead', {}, head), make('tbody', {}, ...rows));
    section.append(make('details', {}, make('summary', { textContent: this.t('table') }), table));
    this.report.append(section);
    this.charts.push(
      new Chart(canvas, {
        type,
        data: {
          labels,
          datasets: datasets.map((d, i) => ({
            ...(d.line ? { type: 'line' as const, borderDash: [4, 4], pointRadius: 0 } : {}),
            label: d.label,
            data: d.data,
            backgroundColor: COLORS[i % COLORS.length],
            borderColor: COLORS[i % COLORS.length],
          })),
        },
        options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { position: 'bottom' } } },
      }),
    );
    return section;
  }

  private rankedCard(id: string, items: Ranked[], column: string): HTMLElement {
    return this.card(id, 'bar', items.map((x) => x.key), [{ label: this.t('count'), data: items.map((x) => x.count) }], column);
  }

  /** The daily numbers of the range as CSV (stable column names, one row per UTC day). */
  private download(): void {
    const r = this.last;
    if (!r) return;
    const lines = [['day', ...CSV_COLUMNS].join(','), ...r.days.map((d, i) => [d, ...CSV_COLUMNS.map((c) => r.daily[c][i] ?? 0)].map(csvField).join(','))];
    const url = URL.createObjectURL(new Blob([`${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' }));
    const a = make('a', { href: url, download: `insights-${r.from}-${r.to}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

void PageHost.start().then((host) => new InsightsPage(host).start());
