import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNezhaRecording } from '../../../src/dataset/nezha-format.js';
import { readDataset } from '../../../src/dataset/files.js';
import { datasetSeries } from '../../../src/dataset/index.js';
import { readCallGraphFile } from '../../../src/graph/file.js';
import { loadTrainingData } from '../../../src/model/training-data.js';
import { runImportNezha } from '../../../src/cli/import.js';

/** A two-service recording in the Nezha layout, 3 steps. */
function recording(dir: string): void {
  writeFileSync(join(dir, 'services.txt'), 'front\nback\n');
  writeFileSync(join(dir, 'README.txt'), 'Start: 2023-01-29 08:41:09 UTC (unix 1674981669); step: 60 s\n');
  writeFileSync(join(dir, 'front_cpu.log'), '1500\n250.5\n0\n');
  writeFileSync(join(dir, 'front_req.log'), '1.33333\n0.6\n3\n');
  writeFileSync(join(dir, 'back_cpu.log'), '10\n20\n30\n');
  writeFileSync(join(dir, 'back_req.log'), '0\n0.0666667\n0\n');
  writeFileSync(join(dir, 'front_mem.log'), '100\n100\n100\n'); // not imported
  writeFileSync(join(dir, 'callgraph_from_traces.csv'), 'caller,callee,span_count\nfront,back,120\nback,redis,40\nfront,front,3\n');
}

describe('dataset/nezha-format (import-nezha)', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'nezha-'));
    recording(work);
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('reads CPU in cores, requests/s, the start time and the span call graph among the listed services', () => {
    const { dataset, graph } = readNezhaRecording(work);
    expect(dataset.services).to.deep.equal(['front', 'back']);
    expect(dataset.features).to.deep.equal(['cpu_cores', 'req']);
    expect(dataset.stepSeconds).to.equal(60);
    expect(dataset.startMs).to.equal(1_674_981_669_000);
    expect(Array.from(datasetSeries(dataset, 'front', 'cpu_cores'))).to.deep.equal([1.5, Math.fround(0.2505), 0]);
    expect(Array.from(datasetSeries(dataset, 'back', 'req'))).to.deep.equal([0, Math.fround(0.0666667), 0]);
    expect(graph.edges).to.deep.equal([{ from: 'front', to: 'back', weight: 120 }]);
  });

  it('round trip: the imported folder reads back as the same dataset and graph, and train/evaluate pick up the graph', async () => {
    const out = join(work, 'imported');
    const summary = await runImportNezha(work, out);
    expect(summary).to.match(/2 services × cpu_cores, req × 3 steps of 60 s, 1 call-graph edges/);
    const direct = readNezhaRecording(work);
    const back = readDataset(out);
    expect(back).to.deep.include({
      services: direct.dataset.services,
      features: direct.dataset.features,
      stepSeconds: 60,
      startMs: direct.dataset.startMs,
      length: 3,
    });
    expect(Array.from(back.values)).to.deep.equal(Array.from(direct.dataset.values));
    const stored = readCallGraphFile(join(out, 'graph.json'));
    expect(stored.origin).to.equal('traces');
    expect(stored.graph).to.deep.equal(direct.graph);
    expect(loadTrainingData(out).graphSource).to.equal(join(out, 'graph.json'));
    // A second import into the same folder replaces it whole.
    await runImportNezha(work, out);
    expect(readFileSync(join(out, 'dataset.jsonl'), 'utf8').split('\n')[0]).to.match(/"deepscaler-dataset"/);
  });

  it('names the file and line of a bad value, and ragged series', () => {
    writeFileSync(join(work, 'back_cpu.log'), '10\nabc\n30\n');
    expect(() => readNezhaRecording(work)).to.throw(/back_cpu\.log:2: "abc" is not a number/);
    writeFileSync(join(work, 'back_cpu.log'), '10\n20\n');
    expect(() => readNezhaRecording(work)).to.throw(/ragged lengths: back_cpu\.log has 2 lines but front_cpu\.log has 3/);
  });
});
