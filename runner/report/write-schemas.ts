// Regenerates schema/*.schema.json from the zod definitions (runner/report/schema.ts):
//   npx tsc -p tsconfig.json && node dist/runner/report/write-schemas.js
// tests/report/units.test.ts fails while the committed files differ from what this writes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../doc.js';
import { jsonSchemaText, SCHEMAS } from './schema.js';

/** The repository's schema/ folder (this file runs from dist/runner/report/ or runner/report/). */
export function schemaDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/') ? join(here, '../../../schema') : join(here, '../../schema');
}

export function writeSchemas(dir = schemaDir()): string[] {
  mkdirSync(dir, { recursive: true });
  return (Object.keys(SCHEMAS) as Array<keyof typeof SCHEMAS>).map((name) => {
    const path = join(dir, name);
    writeFileAtomic(path, jsonSchemaText(name));
    return path;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const p of writeSchemas()) process.stdout.write(`${p}\n`);
}
