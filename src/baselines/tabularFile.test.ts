import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/store.js';
import {
  inferCsvColumns,
  isNumberText,
  kindOfClickHouseType,
  splitCsvLine,
} from './tabularFile.js';

describe('CSV column inference', () => {
  it('reads numbers in any notation a data tool writes, and nulls as nulls', async () => {
    const file = path.join(tempDir('driftwatch-csv-'), 'x.csv');
    fs.writeFileSync(file, 'a,b,c,d\n1,1.5e-07,x,\\N\n-2.5,,y,\\N\n3,2E+3,"z, quoted",4\n');
    expect(await inferCsvColumns(file)).toEqual({
      columns: [
        { name: 'a', kind: 'numeric', uniqueInSample: false },
        { name: 'b', kind: 'numeric', uniqueInSample: false },
        { name: 'c', kind: 'categorical', uniqueInSample: true },
        { name: 'd', kind: 'numeric', uniqueInSample: false },
      ],
      sampledRows: 3,
    });
  });

  it('splits quoted fields with doubled quotes', () => {
    expect(splitCsvLine('1,"a ""b"", c",')).toEqual(['1', 'a "b", c', '']);
  });

  it('knows numbers and ClickHouse numeric types', () => {
    expect(['1', '-2.5', '.5', '1e-7', '3E+2', 'nan', 'inf'].every(isNumberText)).toBe(true);
    expect(['1,5', 'abc', '0x1F', ''].some(isNumberText)).toBe(false);
    expect(kindOfClickHouseType('Nullable(Float64)')).toBe('numeric');
    expect(kindOfClickHouseType('LowCardinality(Nullable(String))')).toBe('categorical');
    expect(kindOfClickHouseType('Int32')).toBe('numeric');
  });
});
