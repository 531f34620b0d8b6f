/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: '<rootDir>/test/helpers/nodeEnvironment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  testTimeout: 120000,
  // Parity and pipeline tests are CPU heavy; two workers match the 2-core machines this runs on.
  maxWorkers: 2,
  // Prints the robustness suite's counts (test/reliability) after the run.
  reporters: ['default', '<rootDir>/test/reliability/harness/robustnessReporter.js'],
};
