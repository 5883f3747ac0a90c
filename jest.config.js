/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // `*.cluster.test.ts` start their own Redis Cluster: `npm run test:cluster` (jest.cluster.config.js) only.
  testPathIgnorePatterns: ['/node_modules/', '\\.cluster\\.test\\.ts$'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testTimeout: 30000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/globalSetup.js',
  globalTeardown: '<rootDir>/test/support/globalTeardown.js',
};
