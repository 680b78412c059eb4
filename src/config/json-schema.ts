/**
 * The JSON Schemas published for editors (schemas/topology.schema.json, schemas/config.schema.json),
 * made from the same zod schemas that validate topology and serve configuration files, so they cannot drift (test/unit/config/json-schema.test.ts
 * compares). With the YAML language server (VS Code's YAML extension and others), put on a file's
 * first line:
 *   # yaml-language-server: $schema=<path to>/schemas/topology.schema.json
 * Regenerate after changing a schema:  npm run build && node dist/src/config/json-schema.js
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { topologySchema } from '../graph/index.js';
import { serveConfigSchema } from './schema.js';

export const SCHEMA_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

function document(schema: z.ZodType, title: string, description: string): string {
  // io "input": what a person writes (defaults make fields optional); cross-field rules are not
  // expressible in JSON Schema and stay with the adapter's own check.
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return JSON.stringify({ ...json, title, description }, null, 2) + '\n';
}

/** File name → contents. */
export function jsonSchemas(): Record<string, string> {
  return {
    'topology.schema.json': document(
      topologySchema,
      'DeepScaler topology',
      "An application's services, CPU settings, entry service and call edges (data/topologies/).",
    ),
    'config.schema.json': document(
      serveConfigSchema,
      'DeepScaler serve configuration',
      'The applications the adapter predicts for (deepscaler serve --config; manifests/base/config.yaml, data/default-config.yaml).',
    ),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, text] of Object.entries(jsonSchemas())) {
    writeFileSync(join(SCHEMA_DIR, name), text);
    process.stdout.write(`wrote schemas/${name}\n`);
  }
}
