import {
  ActivityHandler,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConversationState,
  MemoryStorage,
} from 'botbuilder';
import {
  DialogSet,
  DialogTurnStatus,
  TextPrompt,
  WaterfallDialog,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import type { Logger } from '../../bot/logger';
import { Metrics } from '../../bot/metrics';
import { createHttpServer, type HttpServer } from '../../bot/server';

const PROMPT = 'baselinePrompt';
const WATERFALL = 'baselineWaterfall';

/**
 * The benchmark's baseline: a bare botbuilder two-step waterfall (TextPrompt, then a reply) on MemoryStorage, behind
 * the same restify setup as the product (bot/server.ts: same body parser, same CloudAdapter with auth disabled).
 * It is what botbuilder costs with no gate, no Redis and no product logic.
 */
export function createBaselineServer(logger: Logger): HttpServer {
  const adapter = new CloudAdapter(
    new ConfigurationBotFrameworkAuthentication({
      MicrosoftAppId: '',
      MicrosoftAppPassword: '',
      MicrosoftAppTenantId: '',
      MicrosoftAppType: 'MultiTenant',
    }),
  );
  const conversationState = new ConversationState(new MemoryStorage());
  const dialogs = new DialogSet(conversationState.createProperty('dialogState'));
  dialogs.add(new TextPrompt(PROMPT));
  dialogs.add(
    new WaterfallDialog(WATERFALL, [
      async (step: WaterfallStepContext) => step.prompt(PROMPT, 'What is your name?'),
      async (step: WaterfallStepContext) => {
        await step.context.sendActivity(`Thanks, ${String(step.result).slice(0, 40)}.`);
        return step.endDialog();
      },
    ]),
  );

  class BaselineBot extends ActivityHandler {
    constructor() {
      super();
      this.onMessage(async (context, next) => {
        const dc = await dialogs.createContext(context);
        const result = await dc.continueDialog();
        if (result.status === DialogTurnStatus.empty) await dc.beginDialog(WATERFALL);
        await next();
      });
    }

    override async run(context: Parameters<ActivityHandler['run']>[0]): Promise<void> {
      await super.run(context);
      await conversationState.saveChanges(context, false);
    }
  }

  return createHttpServer({
    adapter,
    bot: new BaselineBot(),
    logger,
    metrics: new Metrics(),
    ready: async () => true,
    allowLoopbackServiceUrl: true,
  });
}
