// `npm run schemas`: writes the check part of schemas/monitor.schema.json ($defs.check) from
// the checks registry (src/monitors/checks/registry.ts); the rest of the file is kept as it
// is. src/monitors/checks/checkSpec.test.ts fails while the committed file differs.
import fs from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { checkSchema } from '../src/monitors/checks/checkSpec.js';
import { REPO_ROOT } from './helpers/cli.js';

const file = path.join(REPO_ROOT, 'schemas/monitor.schema.json');
const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as { $defs: Record<string, unknown> };
schema.$defs.check = checkSchema();
const json = JSON.stringify(schema, null, 2);
const options = (await prettier.resolveConfig(file)) ?? {};
fs.writeFileSync(file, await prettier.format(json, { ...options, filepath: file }));
console.log(`wrote ${path.relative(REPO_ROOT, file)}`);
