import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadTopology } from '../../../src/graph/topology.js';
import { parseSourceConfig, planSource, SOURCE_KINDS, type SourceBuildContext } from '../../../src/sources/registry.js';

const DATA = fileURLToPath(new URL('../../../../data/', import.meta.url));
const parseContext = { path: 'config.applications[0].source', baseDir: DATA, namespace: 'shop', services: ['frontend'], stepSeconds: 30 };
const buildContext: SourceBuildContext = {
  app: 'shop',
  namespace: 'shop',
  services: ['frontend'],
  stepSeconds: 30,
  topology: loadTopology(`${DATA}topologies/online-boutique.yaml`),
  scaling: { targetUtilization: 0.7, minReplicas: 1, maxReplicas: 10 },
  served: () => null,
};

describe('the source registry (sources/registry.ts)', () => {
  it('lists every kind, and names them when the kind is unknown', () => {
    expect(SOURCE_KINDS).to.have.members(['prometheus', 'replay', 'simulator']);
    expect(() => parseSourceConfig({ kind: 'kafka' }, parseContext)).to.throw(
      'config.applications[0].source.kind: expected one of "replay", "prometheus", "simulator", got "kafka"',
    );
  });

  it("hands each kind its block with warmupSteps read once for all, and the kind's parser names its own fields", () => {
    const replay = parseSourceConfig({ kind: 'replay', path: 'boutique-30s', warmupSteps: 7 }, parseContext);
    expect(replay).to.deep.equal({ kind: 'replay', path: `${DATA}boutique-30s`, stepIntervalSeconds: 3, warmupSteps: 7 });
    expect(parseSourceConfig({ kind: 'simulator', trace: 't.csv' }, parseContext)).to.include({ kind: 'simulator', warmupSteps: 600, scaledBy: 'adapter' });
    expect(() => parseSourceConfig({ kind: 'replay', path: 'x', url: 'http://p' }, parseContext)).to.throw('config.applications[0].source.url: unknown field');
    expect(() => parseSourceConfig({ kind: 'prometheus', url: 'http://p:9090', services: ['a'] }, parseContext)).to.throw(
      'config.applications[0].source.services: set by the application; remove it here',
    );
  });

  it('builds each kind from its config: what it has data for, and how the loop paces it', async () => {
    const replay = planSource(parseSourceConfig({ kind: 'replay', path: 'boutique-30s', warmupSteps: 4, stepIntervalSeconds: 2 }, parseContext), buildContext);
    expect(replay.services).to.include('frontend');
    const opened = await replay.open(10_000);
    expect(opened.pace).to.deep.equal({ kind: 'accelerated', anchorMs: 9_000, intervalMs: 2_000, warmupSteps: 4 });
    await opened.source.close();
    const prometheus = planSource(parseSourceConfig({ kind: 'prometheus', url: 'http://127.0.0.1:1', warmupSteps: 0 }, parseContext), buildContext);
    expect(prometheus.services).to.deep.equal(['frontend']);
    expect((await prometheus.open(0)).pace).to.deep.equal({ kind: 'live', warmupSteps: 0 });
  });
});
