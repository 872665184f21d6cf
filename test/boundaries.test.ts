import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

/**
 * The import boundary of the pure stages (eslint.config.js, PURE_STAGES): statistics, the
 * drift math, the judge and its record, the alert lifecycle and its renderers import
 * nothing from the store. The rule must catch an import of the store from one of them, type
 * imports included, and leave the stages that do I/O alone.
 */
const eslint = new ESLint({ cwd: REPO_ROOT });

async function restrictedImports(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

const STORE_TYPE = "import type { Store } from '../store/clickhouse.js';\nexport type S = Store;\n";

describe('the pure stages’ import boundary', () => {
  it.each([
    ['src/monitors/judge.ts', STORE_TYPE],
    [
      'src/alerts/lifecycle.ts',
      "import { listAlerts } from '../store/alerts.js';\nvoid listAlerts;\n",
    ],
    [
      'src/alerts/render/text.ts',
      "import type { Store } from '../../store/clickhouse.js';\nexport type S = Store;\n",
    ],
    [
      'src/stats/psi.ts',
      "import type { Store } from '../store/clickhouse.js';\nexport type S = Store;\n",
    ],
    [
      'src/drift/samples.ts',
      "import type { CellQuery } from '../store/summaryQueries.js';\nexport type C = CellQuery;\n",
    ],
    [
      'src/monitors/checks/measures.ts',
      "import type { Store } from '../../store/clickhouse.js';\nexport type S = Store;\n",
    ],
    [
      'src/monitors/checkResult.ts',
      "import { createClient } from '@clickhouse/client';\nvoid createClient;\n",
    ],
  ])('refuses a store import in %s', async (file, code) => {
    const messages = await restrictedImports(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/a pure stage imports nothing from the store/);
  });

  it('leaves the stages that read and write the store alone', async () => {
    expect(await restrictedImports('src/monitors/evaluateWindow.ts', STORE_TYPE)).toEqual([]);
    expect(await restrictedImports('src/alerts/alertStage.ts', STORE_TYPE)).toEqual([]);
  });

  it('holds for the code as it is', async () => {
    const { PURE_STAGES } = (await import(path.join(REPO_ROOT, 'eslint.config.js'))) as {
      PURE_STAGES: string[];
    };
    const results = await eslint.lintFiles(PURE_STAGES);
    expect(results.length).toBeGreaterThan(20);
    const broken = results.flatMap((result) =>
      result.messages
        .filter((message) => message.ruleId === 'no-restricted-imports')
        .map((message) => `${path.relative(REPO_ROOT, result.filePath)}: ${message.message}`),
    );
    expect(broken).toEqual([]);
  });
});
