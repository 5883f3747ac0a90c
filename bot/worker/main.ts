import { runEntryPoint, startProcess, stopOnSignals } from '../processLifecycle';
import { createRedis } from '../redisClient';
import { createServices } from '../services';
import { createStateBackend } from '../state/stateBackend';
import { ChannelDestinations } from '../helpdesk/destinations';
import { ConnectorChannel, workerAuthentication } from './connectorChannel';
import { createProcessCampaigns } from './createCampaigns';

/**
 * `npm run worker`: a stateless campaign worker (delivery and/or scans, CAMPAIGN_WORKER_ROLES). Run as many as you
 * like beside any number of bot instances; they share Redis. SIGTERM/SIGINT finish the jobs in flight (≤ 10 s), then
 * hand the rest back to the queue. Needs REDIS_URL: without Redis, `npm start` runs the campaigns in-process.
 */
async function main(): Promise<void> {
  const { config, logger: root } = startProcess();
  const logger = root.child({ role: 'campaign-worker' });
  if (!config.redis.url) {
    process.stderr.write('REDIS_URL: the campaign worker needs Redis (without Redis, `npm start` runs the campaigns in-process).\n');
    process.exit(2);
  }
  const redis = createRedis(config.redis.url, { connectionName: 'sspr-campaign-worker', cluster: config.redis.cluster });
  const notifications = { notify: async () => undefined };
  const state = createStateBackend(config, redis, { clock: { now: () => Date.now() } });
  const services = await createServices(config, state, logger, notifications);
  const destinations = new ChannelDestinations(config, state.bindings);
  const campaigns = createProcessCampaigns({
    config,
    redis,
    state,
    logger,
    services,
    channel: new ConnectorChannel(workerAuthentication(config.bot), config.bot.appId ?? ''),
    securityChannel: () => destinations.reference('security'),
  });
  await campaigns.start();
  logger.info({ roles: config.campaigns.roles, tenantPerSecond: config.campaigns.tenantPerSecond, concurrency: config.campaigns.concurrency }, 'campaign worker running');

  stopOnSignals(logger, 'campaign worker shutting down', () => campaigns.close(10_000).then(() => redis.quit()));
}

runEntryPoint(main);
