import restify, { type Request, type Response, type Server } from 'restify';
import {
  ActivityHandler,
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  MessageFactory,
  TeamsInfo,
  type InvokeResponse,
  type TurnContext,
} from 'botbuilder';
import { Observable } from 'rxjs/Observable';
import { registerDevChannel, type DemoUser, type OutboxItem } from '../../bot/devChannel/registerDevChannel';
import { freePort } from '../support/redisServer';

export const DEMO_USERS: readonly DemoUser[] = [
  { tenantId: 'tenant-contoso', objectId: '11111111-1111-4111-8111-111111111111', name: 'Ada Lovelace', upn: 'ada@contoso.example', note: 'registered' },
  { tenantId: 'tenant-contoso', objectId: '22222222-2222-4222-8222-222222222222', name: 'Piet Jansen', upn: 'piet@contoso.example' },
];

/** A card as the echo bot sends it; `state` changes when the bot updates it. */
export function statusCard(state: string): Record<string, unknown> {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: `Status: ${state}`, weight: 'Bolder', wrap: true },
      { type: 'Input.Text', id: 'nickname', label: 'Nickname' },
    ],
    actions: [{ type: 'Action.Submit', title: 'Send nickname', data: { verb: 'nickname' } }],
  };
}

/**
 * A tiny echo bot: "card" → an Adaptive Card; "update" → a card, then the same card updated (PUT);
 * "whoami" → TeamsInfo.getMember; "delete" → a message, then deleted; a card submit → "got <verb> <nickname>";
 * anything else → "echo: <text> (<channelId>, <locale>, <conversationType>, <tenant>, <aadObjectId>)".
 */
export class EchoBot extends ActivityHandler {
  constructor(private readonly outbox: OutboxItem[]) {
    super();
    this.onMembersAdded(async (context, next) => {
      const botAdded = (context.activity.membersAdded ?? []).some((m) => m.id === context.activity.recipient.id);
      if (botAdded) await context.sendActivity(`welcome ${context.activity.from.name}`);
      await next();
    });
    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    const a = context.activity;
    const value = a.value as { verb?: string; nickname?: string } | undefined;
    if (value?.verb) {
      await context.sendActivity(`got ${value.verb} ${value.nickname ?? ''}`.trim());
      return;
    }
    const text = (a.text ?? '').trim();
    if (text === 'card') {
      await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(statusCard('pending'))));
    } else if (text === 'update') {
      const sent = await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(statusCard('pending'))));
      const update = MessageFactory.attachment(CardFactory.adaptiveCard(statusCard('done')));
      update.id = sent?.id;
      await context.updateActivity(update);
    } else if (text === 'delete') {
      const sent = await context.sendActivity('short-lived');
      await context.deleteActivity(sent!.id);
    } else if (text === 'taskcard') {
      const card = { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'Dialog card' }], actions: [{ type: 'Action.Submit', title: 'Open dialog', data: { msteams: { type: 'task/fetch' }, verb: 'open' } }] };
      await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card)));
    } else if (text === 'whoami') {
      const member = await TeamsInfo.getMember(context, a.from.id);
      await context.sendActivity(`you are ${member.userPrincipalName} (${member.email}) in ${member.tenantId}`);
    } else if (text === 'send code') {
      this.outbox.push({ at: Date.now(), channel: 'sms', to: '+31 6 ****** 78', text: 'Your code is 123456' });
      await context.sendActivity('code sent');
    } else {
      const tenant = (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id;
      await context.sendActivity(`echo: ${text} (${a.channelId}, ${a.locale}, ${a.conversation.conversationType}, ${tenant}, ${a.from.aadObjectId})`);
    }
  }

  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    const value = context.activity.value as { data?: { verb?: string } } | undefined;
    if (context.activity.name === 'task/fetch' && value?.data?.verb === 'open') {
      return { status: 200, body: { task: { type: 'continue', value: { url: '/devchat/devchat.css', title: 'Opened by the bot', height: 300, width: 400 } } } };
    }
    return { status: 501 };
  }
}

export interface DevChannelHarness {
  readonly baseUrl: string;
  readonly server: Server;
  readonly outbox: OutboxItem[];
  close(): Promise<void>;
}

/** A restify server like the lead's (queryParser + bodyParser), the echo bot at /api/messages, and the dev channel. */
export async function startDevChannelServer(opts: { webRoot?: string } = {}): Promise<DevChannelHarness> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = restify.createServer({ name: 'devchannel-test', handleUncaughtExceptions: false });
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false, rejectUnknown: false }));
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const outbox: OutboxItem[] = [];
  const bot = new EchoBot(outbox);
  server.post('/api/messages', async (req: Request, res: Response) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  const channel = registerDevChannel(server, {
    botEndpoint: `${baseUrl}/api/messages`,
    selfBaseUrl: baseUrl,
    listOutbox: () => outbox,
    demoUsers: () => DEMO_USERS,
    logger: { info: () => undefined, warn: () => undefined },
    ...(opts.webRoot ? { webRoot: opts.webRoot } : {}),
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    baseUrl,
    server,
    outbox,
    close: async () => {
      channel.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * rxjs 5 `ajax` for botframework-directlinejs on Node (no XMLHttpRequest): same request and response shape
 * (`{ response, status, xhr }`, errors carry `status`), implemented with fetch.
 */
export function fetchAjax(request: { method?: string; url: string; body?: unknown; headers?: Record<string, string>; timeout?: number }): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    const controller = new AbortController();
    const body = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    fetch(request.url, { method: request.method ?? 'GET', headers: request.headers ?? {}, body, signal: controller.signal })
      .then(async (res) => {
        const text = await res.text();
        const response: unknown = text ? JSON.parse(text) : null;
        const xhr = { getResponseHeader: (name: string) => res.headers.get(name) };
        if (res.status >= 400) subscriber.error({ status: res.status, response, xhr });
        else {
          subscriber.next({ status: res.status, response, xhr });
          subscriber.complete();
        }
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) subscriber.error({ status: 0, error: err });
      });
    return () => controller.abort();
  });
}
