import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_CONFIG, parseModelConfig, parseTrainConfig, readConfigFile } from '../../../src/model/config.js';
import { resolveConfigs } from '../../../src/cli/train.js';

describe('model/config', () => {
  it('fills defaults and takes given fields from YAML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'model.yaml'), 'horizon: 12\ntargets: [req]\ngraphMode: identity\n');
    const config = parseModelConfig(readConfigFile(join(dir, 'model.yaml')), 'model.yaml');
    expect(config).to.deep.equal({ ...DEFAULT_MODEL_CONFIG, horizon: 12, targets: ['req'], graphMode: 'identity' });
  });

  it('names the field of a bad or unknown model setting', () => {
    expect(() => parseModelConfig({ horizon: 0 }, 'm.yaml')).to.throw(/m\.yaml\.horizon: must be at least 1/);
    expect(() => parseModelConfig({ targets: ['cpu', 'latency'] }, 'm.yaml')).to.throw(/m\.yaml\.targets\[1\]: expected one of/);
    expect(() => parseModelConfig({ horizn: 3 }, 'm.yaml')).to.throw(/m\.yaml\.horizn: unknown field/);
    expect(() => parseModelConfig({ inputFeatures: ['mem'] }, 'm.yaml')).to.throw(/inputFeatures: must include the targets \(missing: cpu_cores, req\)/);
  });

  it('names the field of a bad train setting and keeps a test split', () => {
    expect(parseTrainConfig({}, 't')).to.deep.equal(DEFAULT_TRAIN_CONFIG);
    expect(() => parseTrainConfig({ numEpoch: 2.5 }, 't.yaml')).to.throw(/t\.yaml\.numEpoch: expected a whole number/);
    expect(() => parseTrainConfig({ trainFraction: 0.8, valFraction: 0.2 }, 't.yaml')).to.throw(/t\.yaml\.valFraction: .* must leave a test split/);
  });

  it('command-line flags override the files and name the flag when wrong', () => {
    const { train, model } = resolveConfigs({ data: 'x', modelName: 'm', numEpoch: '7', numIter: '2', maxGraphNum: '4', seed: '9', graphMode: 'call-graph' });
    expect(train).to.include({ numEpoch: 7, numIter: 2, maxGraphNum: 4, seed: 9 });
    expect(model.graphMode).to.equal('call-graph');
    expect(() => resolveConfigs({ data: 'x', modelName: 'm', numIter: 'three' })).to.throw(/--num-iter: expected a number/);
    expect(() => resolveConfigs({ data: 'x', modelName: 'm', graphMode: 'random' })).to.throw(/--graph-mode: expected one of/);
  });

  it('says which config file cannot be read or parsed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'bad.yaml'), 'horizon: [1\n');
    expect(() => readConfigFile(join(dir, 'bad.yaml'))).to.throw(/bad\.yaml: not valid YAML/);
    expect(() => readConfigFile(join(dir, 'none.yaml'))).to.throw(/cannot read config file .*none\.yaml/);
  });
});
