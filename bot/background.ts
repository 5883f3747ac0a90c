import type { CloudAdapter, ConversationReference } from 'botbuilder';
import type { UserRef } from '../domain/model/user';
import type { ConversationRefStore } from '../domain/ports/conversationRefs';
import type { LaterDelivery } from '../dialogs/recoveryJourney';
import type { Logger } from './logger';

export interface BackgroundDeliveryDeps {
  readonly adapter: CloudAdapter;
  readonly appId: string;
  readonly refs: ConversationRefStore;
  readonly logger: Logger;
}

/**
 * R26: the result of work that outlived its turn (a directory call slower than 2 s) is sent as a proactive message
 * to the user's 1:1 chat, through the ConversationReference stored on every turn. Failures are logged without the
 * text (it may name the outcome of a reset) and never thrown: nobody is waiting on this promise.
 */
export class BackgroundDelivery implements LaterDelivery {
  constructor(private readonly deps: BackgroundDeliveryDeps) {}

  async deliver(user: UserRef, text: string): Promise<void> {
    try {
      const ref = (await this.deps.refs.get(user)) as Partial<ConversationReference> | null;
      if (!ref?.conversation || !ref.serviceUrl) {
        this.deps.logger.warn({ event: 'background.result' }, 'no conversation reference for a background result');
        return;
      }
      await this.deps.adapter.continueConversationAsync(this.deps.appId, ref, async (ctx) => {
        await ctx.sendActivity(text);
      });
    } catch (e) {
      this.deps.logger.warn({ event: 'background.result', err: { name: (e as Error).name } }, 'background result delivery failed');
    }
  }
}
