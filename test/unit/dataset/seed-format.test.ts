import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSeedDataset, writeSeedDataset } from '../../../src/dataset/seed-format.js';
import { datasetSeries, type Dataset } from '../../../src/dataset/index.js';

const BOUTIQUE = join(process.cwd(), 'data', 'boutique-30s');

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'seed-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('seed .log dataset format', () => {
  const made: string[] = [];
  const tmp = (files: Record<string, string>): string => {
    const dir = folder(files);
    made.push(dir);
    return dir;
  };
  after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('reads the shipped boutique data: 10 services, the 5 seed metrics, 4410 steps of 30 s', () => {
    const ds = readSeedDataset(BOUTIQUE);
    expect(ds.services).to.have.length(10);
    expect(ds.services).to.include('frontend');
    expect(ds.features).to.deep.equal(['cpu', 'mem', 'res', 'req', 'pod']);
    expect(ds.length).to.equal(4410);
    expect(ds.stepSeconds).to.equal(30);
    expect(ds.startMs).to.equal(null);
    const firstLine = Number(readFileSync(join(BOUTIQUE, 'frontend_req.log'), 'utf8').split('\n')[0]);
    expect(datasetSeries(ds, 'frontend', 'req')[0]).to.equal(Math.fround(firstLine));
  });

  it('takes step and start time from the caller, since the files carry neither', () => {
    const ds = readSeedDataset(tmp({ 'a_req.log': '1\n2\n' }), { stepSeconds: 60, startMs: 1_700_000_000_000 });
    expect(ds.stepSeconds).to.equal(60);
    expect(ds.startMs).to.equal(1_700_000_000_000);
  });

  it("keeps the seed's 0 for a missing sample as 0 and reads NaN lines as gaps", () => {
    const ds = readSeedDataset(tmp({ 'a_req.log': '0\nNaN\n3\n' }));
    const req = datasetSeries(ds, 'a', 'req');
    expect(req[0]).to.equal(0);
    expect(req[1]).to.be.NaN;
    expect(req[2]).to.equal(3);
  });

  it('strips a common <prefix>_ and parses service names with dashes and metric names with underscores', () => {
    const ds = readSeedDataset(tmp({ '1_redis-cart_cpu_cores.log': '0.5\n', '1_redis-cart_req.log': '2\n' }));
    expect(ds.services).to.deep.equal(['redis-cart']);
    expect(ds.features).to.deep.equal(['req', 'cpu_cores']);
  });

  it('picks one prefix when a folder holds several, and refuses to guess without one', () => {
    const dir = tmp({ '1_a_req.log': '1\n', '2_a_req.log': '2\n' });
    expect(datasetSeries(readSeedDataset(dir, { prefix: '2' }), 'a', 'req')[0]).to.equal(2);
    expect(() => readSeedDataset(dir)).to.throw('files of several prefixes (1, 2); choose one with the prefix option');
  });

  it('rejects ragged lengths, naming both files', () => {
    const dir = tmp({ 'a_req.log': '1\n2\n3\n', 'b_req.log': '1\n2\n' });
    expect(() => readSeedDataset(dir)).to.throw('ragged lengths: b_req.log has 2 lines but a_req.log has 3');
  });

  it('rejects a non-numeric line, naming file and line', () => {
    expect(() => readSeedDataset(tmp({ 'a_req.log': '1\nabc\n' }))).to.throw('a_req.log:2: "abc" is not a number');
    expect(() => readSeedDataset(tmp({ 'a_req.log': '1\n\n2\n' }))).to.throw('a_req.log:2: "" is not a number');
    expect(() => readSeedDataset(tmp({ 'a_req.log': 'Infinity\n' }))).to.throw('a_req.log:1: "Infinity" is not a number');
  });

  it('rejects an unknown metric, listing the known ones', () => {
    expect(() => readSeedDataset(tmp({ 'a_disk.log': '1\n' }))).to.throw(
      'a_disk.log: unknown metric "disk" (known: cpu, mem, res, req, pod, cpu_cores, cpu_request)',
    );
  });

  it('rejects negative rates', () => {
    expect(() => readSeedDataset(tmp({ 'a_req.log': '1\n-2\n' }))).to.throw('a_req.log:2: negative value -2 for req (requests/s cannot be negative)');
  });

  it('rejects a service missing one of the metrics the others have', () => {
    const dir = tmp({ 'a_req.log': '1\n', 'a_cpu.log': '1\n', 'b_req.log': '1\n' });
    expect(() => readSeedDataset(dir)).to.throw('b has no cpu series (expected a file like a_cpu.log for it)');
  });

  it('rejects an empty or missing folder', () => {
    expect(() => readSeedDataset(tmp({}))).to.throw('no <service>_<metric>.log files');
    expect(() => readSeedDataset('/nonexistent/seed')).to.throw('cannot read dataset folder /nonexistent/seed');
  });

  it('round-trips a dataset with gaps exactly (float32 values, NaN gaps), with and without a prefix', async () => {
    const ds: Dataset = {
      services: ['a', 'b-c'],
      features: ['cpu', 'req', 'cpu_cores'],
      stepSeconds: 30,
      startMs: null,
      length: 3,
      values: Float32Array.from([0.1, 1 / 3, 7, 0, Math.PI, Number.NaN, 1e-7, 12345.678, 2, 0.5, Number.NaN, 3, 9, 8, 7, 6, 5, 4]),
    };
    for (const prefix of [undefined, 'run1']) {
      const dir = join(tmp({}), 'out');
      await writeSeedDataset(dir, ds, prefix === undefined ? {} : { prefix });
      expect(readdirSync(dir)).to.have.length(6);
      const back = readSeedDataset(dir, prefix === undefined ? {} : { prefix });
      expect(back.services).to.deep.equal(ds.services);
      expect(back.features).to.deep.equal(ds.features);
      expect(Array.from(back.values)).to.deep.equal(Array.from(ds.values));
    }
  });

  it('replaces an existing output folder as a whole', async () => {
    const dir = join(tmp({}), 'out');
    mkdirSync(dir);
    writeFileSync(join(dir, 'stale_req.log'), '1\n');
    const ds: Dataset = { services: ['a'], features: ['req'], stepSeconds: 30, startMs: null, length: 1, values: Float32Array.from([4]) };
    await writeSeedDataset(dir, ds);
    expect(readdirSync(dir)).to.deep.equal(['a_req.log']);
  });
});
