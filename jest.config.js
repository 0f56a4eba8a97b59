/** Jest: @swc/jest transform (type-checking is `npm run typecheck`), one embedded or given PostgreSQL per run. */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // test/kernel/db-role.test.ts changes the cluster-wide conformant_app role's password on purpose: it runs alone after
  // the rest (`npm run jest` runs both), so servers of other suites sharing the cluster never meet a changed password
  testPathIgnorePatterns: process.env.JEST_ALONE ? [] : ['/node_modules/', '<rootDir>/test/kernel/db-role.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  // JEST_MAX_WORKERS=1 runs the suites one after another (CI's run on a PostgreSQL shared with other work: the suites
  // also share cluster-wide state there, such as the conformant_app role)
  maxWorkers: Number(process.env.JEST_MAX_WORKERS || 2),
};
