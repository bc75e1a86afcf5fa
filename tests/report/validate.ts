// Validates emitted JSON against the committed schema files with Ajv (JSON Schema 2020-12): the
// published schema, not the zod source, is what other tools will check against.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import { ROOT } from './fixtures.js';

// ajv is CommonJS: depending on the loader the class is the default import or its .default.
type AjvClass = typeof Ajv2020Module.default;
const Ajv2020: AjvClass = (Ajv2020Module as unknown as { default?: AjvClass }).default ?? (Ajv2020Module as unknown as AjvClass);
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: false });

export type SchemaFile = 'violation.schema.json' | 'summary.schema.json' | 'trace.schema.json' | 'check.schema.json' | 'replay.schema.json';

const compiled = new Map<SchemaFile, ReturnType<typeof ajv.compile>>();

/** null when `data` matches schema/`file`, else the first error as one line. */
export function schemaErrors(file: SchemaFile, data: unknown): string | null {
  let v = compiled.get(file);
  if (!v) {
    v = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema', file), 'utf8')) as object);
    compiled.set(file, v);
  }
  if (v(data)) return null;
  const e = v.errors?.[0];
  return e ? `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}` : 'invalid';
}
