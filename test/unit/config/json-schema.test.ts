import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
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

  describe('schemas/config.schema.json', () => {
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(join(SCHEMA_DIR, 'config.schema.json'), 'utf8')) as object);
    const root = (path: string): string => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
    const configMap = (path: string): unknown => {
      const docs = parseAllDocuments(readFileSync(root(path), 'utf8')).map((doc) => doc.toJS() as { kind?: string; data?: Record<string, string> });
      return parse(docs.find((doc) => doc.kind === 'ConfigMap')!.data!['config.yaml']!);
    };
    const shipped: Record<string, () => unknown> = {
      'data/default-config.yaml': () => parse(readFileSync(root('data/default-config.yaml'), 'utf8')),
      'manifests/base/config.yaml (its ConfigMap)': () => configMap('manifests/base/config.yaml'),
    };
    for (const [name, load] of Object.entries(shipped)) {
      it(`accepts the shipped ${name}`, () => {
        expect(validate(load()), JSON.stringify(validate.errors)).to.equal(true);
      });
    }

    it('flags what the adapter refuses: a typo, a bad value, the removed margin', () => {
      const app = { name: 'shop', namespace: 'shop', services: ['web'], source: { kind: 'replay', path: 'rec' } };
      expect(validate({ applications: [app] }), JSON.stringify(validate.errors)).to.equal(true);
      expect(validate({ applications: [{ ...app, lookahead: {} }] })).to.equal(false);
      expect(validate({ applications: [{ ...app, risk: 0.9 }] })).to.equal(false);
      expect(validate({ applications: [{ ...app, margin: { default: 0.1 } }] })).to.equal(false);
    });
  });
});
