import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/helpers/cli.js';
import { describeArrowFile } from './arrowSchema.js';
import { kindOfClickHouseType } from './tabularFile.js';

describe('describeArrowFile', () => {
  it('reads the columns of an Arrow IPC file from its schema', async () => {
    const columns = await describeArrowFile(`${REPO_ROOT}/examples/current.arrow`);
    expect(columns.map((c) => `${c.name}:${kindOfClickHouseType(c.type)}`)).toEqual([
      'amount:numeric',
      'account_age_days:numeric',
      'device_score:numeric',
      'tiny_rate:numeric',
      'merchant_category:categorical',
      'channel:categorical',
      'country:categorical',
      'score:numeric',
      'label:numeric',
    ]);
  });

  it('names a file that is not Arrow IPC', async () => {
    await expect(describeArrowFile(`${REPO_ROOT}/examples/baseline.parquet`)).rejects.toThrow(
      `${REPO_ROOT}/examples/baseline.parquet: cannot read the file as Arrow IPC`,
    );
  });
});
