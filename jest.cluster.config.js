// `npm run test:cluster` (F20, issue 13 acceptance 4): the Redis-backed suites — state, codes, throttles, locks,
// queues — against a private 3-primary Redis Cluster per test file (test/support/redisCluster.ts), through ioredis
// Cluster clients. Suites that start the whole app get a Cluster client from test/support/appHarness.ts (the app's own
// client is standalone-only). Suites that stop, kill or reconfigure their server (F1–F7, lockoutWebhook's R22 case),
// or spawn the worker entry point from REDIS_URL alone (workerProcess), stay on the standalone runs of `npm test`;
// workerProcess.cluster spawns the worker and the bot with REDIS_CLUSTER=true, and runs here only.
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: undefined,
  testPathIgnorePatterns: ['/node_modules/'],
  testRegex: [
    'test/contract/verificationStore\\.contract\\.test\\.ts$',
    'test/state/storageContract\\.test\\.ts$',
    'test/state/turnGuard\\.test\\.ts$',
    'test/unit/codes/oneTimeCodes\\.test\\.ts$',
    'test/unit/methods/securityInfoRedis\\.test\\.ts$',
    'test/state/userRecordMemo\\.test\\.ts$',
    'test/integration/recovery/portContracts\\.test\\.ts$',
    'test/insights/insights\\.test\\.ts$',
    'test/campaigns/campaigns\\.test\\.ts$',
    'test/campaigns/deliveryFaults\\.test\\.ts$',
    'test/campaigns/campaignsSlapd\\.test\\.ts$',
    'test/campaigns/campaignJourneys\\.test\\.ts$',
    'test/campaigns/lockoutUnlock\\.e2e\\.test\\.ts$',
    'test/campaigns/lockoutEntra\\.test\\.ts$',
    'test/campaigns/securityAlerts\\.test\\.ts$',
    'test/campaigns/inDoubtReadBack\\.test\\.ts$',
    'test/campaigns/deadLetters\\.test\\.ts$',
    'test/campaigns/lockoutReset\\.e2e\\.test\\.ts$',
    'test/campaigns/workerProcess\\.cluster\\.test\\.ts$',
  ],
};
