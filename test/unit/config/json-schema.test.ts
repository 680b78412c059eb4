import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas, SCHEMA_DIR } from '../../../src/config/json-schema.js';

describe('published JSON Schema (schemas/) for editors', () => {
  for (const [name, text] of Object.entries(jsonSchemas())) {
    it(`schemas/${name} is what the validating zod schema generates (run node dist/src/config/json-schema.js)`, () => {
      expect(readFileSync(join(SCHEMA_DIR, name), 'utf8')).to.equal(text);
    });
  }

  it('the topology schema closes every object, so an editor flags a typo (calls: for edges:) as the simulator does', () => {
    const schema = JSON.parse(jsonSchemas()['topology.schema.json']!) as { additionalProperties?: boolean; properties: Record<string, unknown> };
    expect(schema.additionalProperties).to.equal(false);
    expect(Object.keys(schema.properties)).to.include.members(['name', 'entry', 'services', 'edges']);
  });
});
