import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Pure stages: numbers and plain values in, values out. The statistics, the drift math, the
// judge and the check-result record, the alert lifecycle and its renderers import nothing
// from the store, so its SQL and I/O can change under them; their domain types live beside
// them, and the store imports those.
export const PURE_STAGES = [
  'src/stats/**/*.ts',
  'src/timeWindow.ts',
  'src/drift/attribution.ts',
  'src/drift/binContributions.ts',
  'src/drift/cells.ts',
  'src/drift/explainWindow.ts',
  'src/drift/featureDrift.ts',
  'src/drift/ksLocation.ts',
  'src/drift/samples.ts',
  'src/drift/slices.ts',
  'src/drift/sortedColumn.ts',
  'src/drift/sortedColumnWorker.ts',
  'src/drift/summaryCells.ts',
  'src/drift/windowDrift.ts',
  'src/monitors/checkResult.ts',
  'src/monitors/checks/**/*.ts',
  'src/monitors/duration.ts',
  'src/monitors/judge.ts',
  'src/monitors/modelTask.ts',
  'src/monitors/plan.ts',
  'src/monitors/windowAggregates.ts',
  'src/monitors/windows.ts',
  'src/report/performance.ts',
  'src/alerts/advanceWindow.ts',
  'src/alerts/alert.ts',
  'src/alerts/backoff.ts',
  'src/alerts/identity.ts',
  'src/alerts/lifecycle.ts',
  'src/alerts/notification.ts',
  'src/alerts/render/**/*.ts',
  'src/alerts/routing.ts',
  'src/alerts/signature.ts',
  'src/alerts/silences.ts',
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'scratch/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  // The dashboard's script runs in the browser.
  {
    files: ['web/**/*.js'],
    languageOptions: { globals: { ...globals.browser, uPlot: 'readonly' } },
  },
  {
    files: PURE_STAGES,
    ignores: ['**/*.integration.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/store/*', '@clickhouse/*', 'chdb', 'chdb/*', 'kafkajs'],
              message:
                'a pure stage imports nothing from the store: take its values as arguments, and keep the domain type beside this stage (the store imports it from here)',
            },
          ],
        },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
);
