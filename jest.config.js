/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: 'tsconfig.json' }],
  },
  // WebRTC tests are CPU-bound on a 2-core machine; two workers keep them from starving each other.
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/servers/global-setup.ts',
  testTimeout: 30000,
};
