import fs from 'node:fs';
import { DataType, RecordBatchReader, type Field } from 'apache-arrow';
import { InputError, errorMessage } from '../errors.js';

/**
 * The columns of an Arrow IPC file, read from its schema message alone (the data is not
 * read), with ClickHouse's names for their types. Embedded ClickHouse describes files
 * itself (`DESCRIBE file()`); a ClickHouse server cannot read the client's files, so in
 * server mode the schema is read here, by the Arrow project's own library.
 */
export async function describeArrowFile(file: string): Promise<{ name: string; type: string }[]> {
  const stream = fs.createReadStream(file);
  try {
    const reader = await RecordBatchReader.from(stream);
    await reader.open();
    return reader.schema.fields.map((field: Field) => ({
      name: field.name,
      type: clickHouseTypeOf(field.type as DataType),
    }));
  } catch (error) {
    throw new InputError({ file }, `cannot read the file as Arrow IPC: ${errorMessage(error)}`, {
      cause: error,
    });
  } finally {
    stream.destroy();
  }
}

/** Enough of ClickHouse's type names for `kindOfClickHouseType` to tell numbers from the rest. */
function clickHouseTypeOf(type: DataType): string {
  if (DataType.isDictionary(type)) return clickHouseTypeOf(type.dictionary);
  if (DataType.isInt(type)) return `${type.isSigned ? '' : 'U'}Int${type.bitWidth}`;
  if (DataType.isFloat(type)) return 'Float64';
  if (DataType.isDecimal(type)) return `Decimal(${type.precision}, ${type.scale})`;
  if (DataType.isBool(type)) return 'Bool';
  if (DataType.isDate(type) || DataType.isTimestamp(type)) return 'DateTime64';
  return 'String';
}
