import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { formatJsonlDataset, parseJsonlDataset, writeJsonlDataset } from '../../../src/dataset/jsonl-format.js';
import { readDataset, DATASET_FILE } from '../../../src/dataset/files.js';
import { readSeedDataset } from '../../../src/dataset/seed-format.js';
import type { Dataset } from '../../../src/dataset/index.js';
import { ALL_FEATURES, type Feature } from '../../../src/core/frame.js';

const START = Date.parse('2024-04-06T11:30:00Z');
const ds: Dataset = {
  services: ['a', 'b'],
  features: ['req', 'cpu_cores'],
  stepSeconds: 30,
  startMs: START,
  length: 2,
  values: Float32Array.from([1.5, 0.25, 2, Number.NaN, 3, 0.5, 4, 0]),
};
const HEADER =
  '{"format":"deepscaler-dataset","version":1,"stepSeconds":30,"start":"2024-04-06T11:30:00.000Z","length":1,"services":["a"],"features":["req"],"units":{"req":"requests/s"}}';
const row = (values: string, time = '2024-04-06T11:30:00.000Z'): string => `{"time":"${time}","values":${values}}`;

describe('self-describing JSON Lines dataset format', () => {
  it('writes a header with step, start, length and units, then one timestamped line per step with null for gaps', () => {
    const lines = formatJsonlDataset(ds).trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).to.deep.equal({
      format: 'deepscaler-dataset',
      version: 1,
      stepSeconds: 30,
      start: '2024-04-06T11:30:00.000Z',
      length: 2,
      services: ['a', 'b'],
      features: ['req', 'cpu_cores'],
      units: { req: 'requests/s', cpu_cores: 'cores' },
    });
    expect(JSON.parse(lines[1]!)).to.deep.equal({
      time: '2024-04-06T11:30:00.000Z',
      values: [
        [1.5, 0.25],
        [2, null],
      ],
    });
    expect(JSON.parse(lines[2]!).time).to.equal('2024-04-06T11:30:30.000Z');
  });

  it('round-trips any dataset exactly (fast-check: float32 values, gaps, shapes)', () => {
    const arbitrary = fc
      .record({
        services: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { minLength: 1, maxLength: 4 }),
        features: fc.uniqueArray(fc.constantFrom<Feature>(...ALL_FEATURES), { minLength: 1, maxLength: ALL_FEATURES.length }),
        length: fc.integer({ min: 0, max: 5 }),
        stepSeconds: fc.constantFrom(1, 15, 30, 60),
        startMs: fc.integer({ min: 0, max: 4_000_000_000_000 }),
      })
      .chain((shape) =>
        fc
          .array(fc.oneof(fc.float({ min: 0, max: 1e6, noNaN: true }), fc.constant(Number.NaN)), {
            minLength: shape.length * shape.services.length * shape.features.length,
            maxLength: shape.length * shape.services.length * shape.features.length,
          })
          .map((values): Dataset => ({ ...shape, values: Float32Array.from(values) })),
      );
    fc.assert(
      fc.property(arbitrary, (original) => {
        const back = parseJsonlDataset(formatJsonlDataset(original), 'x.jsonl');
        expect(back).to.deep.equal(original);
      }),
      { numRuns: 200 },
    );
  });

  it('converts the shipped boutique seed data to JSONL and back without loss', () => {
    const seed = readSeedDataset(join(process.cwd(), 'data', 'boutique-30s'), { startMs: START });
    expect(parseJsonlDataset(formatJsonlDataset(seed), 'boutique.jsonl')).to.deep.equal(seed);
  });

  it('readDataset finds either format: a .jsonl file, a folder with dataset.jsonl, or a seed folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jsonl-'));
    try {
      writeJsonlDataset(join(dir, 'x.jsonl'), ds);
      expect(readDataset(join(dir, 'x.jsonl'))).to.deep.equal(ds);
      writeJsonlDataset(join(dir, 'collected', DATASET_FILE), ds);
      expect(readDataset(join(dir, 'collected'))).to.deep.equal(ds);
      mkdirSync(join(dir, 'seed'));
      writeFileSync(join(dir, 'seed', 'a_req.log'), '1\n2\n');
      expect(readDataset(join(dir, 'seed'), { stepSeconds: 60 }).stepSeconds).to.equal(60);
      writeFileSync(join(dir, 'x.csv'), '');
      expect(() => readDataset(join(dir, 'x.csv'))).to.throw('a dataset file must end in .jsonl');
      expect(() => readDataset(join(dir, 'none'))).to.throw(`no dataset at ${join(dir, 'none')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to write a dataset without a start time', () => {
    expect(() => formatJsonlDataset({ ...ds, startMs: null })).to.throw('the self-describing format needs the time of the first step');
  });

  describe('validation errors name the line and what is wrong', () => {
    const cases: Array<[string, string, string]> = [
      ['an empty file', '', 'x.jsonl: empty file'],
      ['a first line that is no header', row('[[1]]'), 'x.jsonl:1: not a dataset header'],
      ['broken JSON', '{"format":', 'x.jsonl:1: not valid JSON'],
      ['an unknown version', HEADER.replace('"version":1', '"version":7'), 'x.jsonl:1: version 7 is not supported (this build reads version 1)'],
      [
        'an unknown metric',
        HEADER.replace('"features":["req"]', '"features":["disk"]'),
        'x.jsonl:1: features[0]: unknown metric "disk" (known: cpu, mem, res, req, pod, cpu_cores, cpu_request)',
      ],
      ['other units', HEADER.replace('"requests/s"', '"requests/min"'), 'x.jsonl:1: units.req is "requests/min", but req is read in "requests/s"'],
      ['a bad step', HEADER.replace('"stepSeconds":30', '"stepSeconds":0'), 'x.jsonl:1: stepSeconds must be a positive number, got 0'],
      [
        'a truncated file',
        HEADER.replace('"length":1', '"length":2') + '\n' + row('[[1]]'),
        'x.jsonl: the header says 2 steps but the file has 1 (truncated or appended to?)',
      ],
      [
        'a wrong step between rows',
        HEADER + '\n' + row('[[1]]', '2024-04-06T11:31:00.000Z'),
        'x.jsonl:2: time 2024-04-06T11:31:00.000Z should be 2024-04-06T11:30:00.000Z (start + 0 × 30 s): wrong step or a missing row',
      ],
      ['a ragged row (services)', HEADER + '\n' + row('[[1],[2]]'), 'x.jsonl:2: values has 2 services, the header lists 1'],
      ['a ragged row (features)', HEADER + '\n' + row('[[1,2]]'), 'x.jsonl:2: values[0] (a) must be a list of 1 numbers, one per feature'],
      ['a non-numeric value', HEADER + '\n' + row('[["3"]]'), 'x.jsonl:2: values[0][0] (a req) is "3", not a number or null'],
      ['a negative rate', HEADER + '\n' + row('[[-1]]'), 'x.jsonl:2: a: negative value -1 for req (requests/s cannot be negative)'],
    ];
    for (const [what, text, message] of cases) {
      it(`rejects ${what}`, () => {
        expect(() => parseJsonlDataset(text, 'x.jsonl')).to.throw(message);
      });
    }
  });
});
