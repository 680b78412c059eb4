import { expect } from 'chai';
import { parseTopology, loadTopology } from '../../../src/graph/topology.js';
import { buildApp, parseCpuCosts } from '../../../src/sim/app.js';

function topology(edges: Array<[string, string, number]>, services = ['a', 'b', 'c']): string {
  return [
    'name: t',
    'entry: a',
    'services:',
    ...services.map((s) => `  - { name: ${s}, cpuRequestMillicores: 100, cpuLimitMillicores: 200 }`),
    'edges:',
    ...edges.map(([from, to, c]) => `  - { from: ${from}, to: ${to}, callsPerRequest: ${c} }`),
  ].join('\n');
}

describe('sim/app: fan-out along the call graph', () => {
  it('multiplies calls per request along paths and adds parallel paths', () => {
    const app = buildApp(
      parseTopology(
        topology([
          ['a', 'b', 2],
          ['b', 'c', 0.5],
          ['a', 'c', 1],
        ]),
        't',
      ),
    );
    expect(Array.from(app.visits)).to.deep.equal([1, 2, 2]); // c: 1 direct + 2 × 0.5 via b
  });

  it('solves cycles as r = e + Cᵀr', () => {
    // a → b once, b → a half the time: r_a = 1 + 0.5 r_b, r_b = r_a → r_a = r_b = 2
    const app = buildApp(
      parseTopology(
        topology([
          ['a', 'b', 1],
          ['b', 'a', 0.5],
        ]),
        't',
      ),
    );
    expect(app.visits[0]).to.be.closeTo(2, 1e-12);
    expect(app.visits[1]).to.be.closeTo(2, 1e-12);
    expect(app.visits[2]).to.equal(0);
  });

  it('rejects a cycle that never dies out, saying so', () => {
    expect(() =>
      buildApp(
        parseTopology(
          topology([
            ['a', 'b', 1],
            ['b', 'a', 1],
          ]),
          't',
        ),
      ),
    ).to.throw(/cycle/);
  });

  it('solves the shipped Train-Ticket graph (with its cycles) to non-negative rates, entry = 1', () => {
    const app = buildApp(loadTopology('data/topologies/train-ticket.yaml'));
    expect(app.visits[app.entry]).to.be.at.least(1);
    expect(Array.from(app.visits).every((v) => v >= 0 && Number.isFinite(v))).to.equal(true);
  });

  it('uses the default CPU cost unless a service has its own, and bursts to the limit unless told not to', () => {
    const text = topology([['a', 'b', 1]]);
    const app = buildApp(parseTopology(text, 't'), { cpuSecondsPerRequest: new Map([['b', 0.01]]) });
    expect(Array.from(app.cpuSecondsPerRequest)).to.deep.equal([0.002, 0.01, 0.002]);
    expect(app.cpuCapacityCores[0]).to.equal(0.2);
    expect(buildApp(parseTopology(text, 't'), { burstToLimit: false }).cpuCapacityCores[0]).to.equal(0.1);
  });

  it('rejects a CPU cost for a service the topology does not have, naming it', () => {
    expect(() => buildApp(parseTopology(topology([]), 't'), { cpuSecondsPerRequest: new Map([['zz', 0.01]]) })).to.throw(/"zz"/);
  });

  it('parses name=ms cost lists and rejects malformed parts', () => {
    expect([...parseCpuCosts('a=4, b=0.5')]).to.deep.equal([
      ['a', 0.004],
      ['b', 0.0005],
    ]);
    expect(() => parseCpuCosts('a=fast')).to.throw(/a=fast/);
  });
});
