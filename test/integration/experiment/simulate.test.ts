/**
 * `simulate` end to end, short: the JSON outcome in its stable format, the floor under every
 * autoscaler, and bad input refused before anything runs (exit 2).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { OutcomeJson } from '../../../src/experiment/report.js';

const run = promisify(execFile);
const CLI = 'dist/src/cli/main.js';

async function simulate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [CLI, 'simulate', ...args], { maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('simulate (short runs)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'simulate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the outcome JSON in its stable format, every autoscaler at or above the cost floor at the shared target', async () => {
    const json = join(dir, 'outcome.json');
    const { code, stderr } = await simulate([
      '--trace',
      'data/traces/azure-functions-2019-total-per-minute.csv',
      '--hours',
      '2',
      '--peak',
      '60',
      '--slo-ms',
      '400',
      '--autoscalers',
      'cpu-hpa,holt,phpa,periodic,perfect-foresight',
      '--cpu-targets',
      '0.6',
      '--risks',
      '0.05,0.2',
      '--out',
      join(dir, 'out'),
      '--json',
      json,
    ]);
    expect(code, stderr).to.equal(0);
    const outcome = JSON.parse(readFileSync(json, 'utf8')) as OutcomeJson;
    expect(Object.keys(outcome)).to.deep.equal(['app', 'trace', 'seed', 'floorCoreHours', 'autoscalers']);
    expect(outcome).to.include({ app: 'online-boutique', trace: 'azure-functions-2019-total-per-minute.csv', seed: 1 });
    expect(outcome.autoscalers.map((a) => [a.name, a.knob, a.points.map((p) => p.knob)])).to.deep.equal([
      ['cpu-hpa', 'targetUtilization', [0.6]],
      ['holt', 'risk', [0.05, 0.2]],
      ['phpa', 'targetUtilization', [0.6]],
      ['periodic', 'risk', [0.05, 0.2]],
      ['perfect-foresight', 'risk', [0.05]],
    ]);
    for (const a of outcome.autoscalers) {
      for (const p of a.points) {
        expect(Object.keys(p)).to.deep.equal(['knob', 'violationPct', 'coreHours']);
        // Nothing at the floor's utilization is cheaper than the exact demand with instant pods.
        expect(p.coreHours, `${a.name} ${p.knob}`).to.be.at.least(outcome.floorCoreHours);
      }
    }
    expect(readFileSync(join(dir, 'out', 'frontier.svg'), 'utf8')).to.contain('SLO violations');
  });

  it('checks --model against the application before anything runs: a model without the services exits 2, naming them', async () => {
    const { code, stderr, stdout } = await simulate([
      '--topology',
      'data/topologies/bookinfo.yaml',
      '--autoscalers',
      'cpu-hpa,deepscaler',
      '--model',
      'models/online-boutique',
      '--hours',
      '1',
      '--out',
      join(dir, 'bad'),
    ]);
    expect(code).to.equal(2);
    expect(stderr).to.match(/--model .*online-boutique.*productpage/s);
    expect(stdout).to.not.contain('cpu-hpa');
  });

  it('a malformed trace is a clear error naming the flag and the line, exit 2', async () => {
    const trace = join(dir, 'bad.csv');
    writeFileSync(trace, 'minute,requests\n0,10\n1,lots\n');
    const { code, stderr } = await simulate(['--trace', trace, '--hours', '1', '--out', join(dir, 'bad2')]);
    expect(code).to.equal(2);
    expect(stderr).to.contain(`--trace: ${trace}:3`);
  });
});
