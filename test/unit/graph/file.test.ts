import { expect } from 'chai';
import { join } from 'node:path';
import { formatCallGraph, parseCallGraph } from '../../../src/graph/file.js';
import { parseCallGraphSpec, restrictCallGraph, topologyGraphFor } from '../../../src/graph/select.js';
import type { CallGraph } from '../../../src/graph/index.js';

const graph: CallGraph = {
  services: ['a', 'b', 'c'],
  edges: [
    { from: 'a', to: 'b', weight: 2.5 },
    { from: 'b', to: 'c', weight: 1 },
  ],
};

describe('call graph files and choices', () => {
  it('graph.json round-trips and says what its weights mean', () => {
    const text = formatCallGraph({ origin: 'istio', graph });
    expect(JSON.parse(text).weightUnit).to.equal('calls/s (mean over the collected range)');
    expect(parseCallGraph(text, 'graph.json')).to.deep.equal({ origin: 'istio', graph });
  });

  it('names the bad field in a broken graph.json', () => {
    const edgeTo = (to: string): string => JSON.stringify({ origin: 'istio', services: ['a'], edges: [{ from: 'a', to, weight: 1 }] });
    expect(() => parseCallGraph(edgeTo('z'), 'g.json')).to.throw('g.json: edges[0].to: "z" is not one of the services');
    expect(() => parseCallGraph('{', 'g.json')).to.throw('g.json: not valid JSON');
    expect(() => parseCallGraph(JSON.stringify({ origin: 'tracing', services: [], edges: [] }), 'g.json')).to.throw(
      'g.json: origin: expected one of "istio", "topology", "traces", "none", got "tracing"',
    );
    expect(() => parseCallGraph(edgeTo('a').replace('"weight":1', '"weight":-1'), 'g.json')).to.throw('g.json: edges[0].weight: must be at least 0, got -1');
  });

  it('parses istio, none or a topology file as the graph to start from', () => {
    expect(parseCallGraphSpec('istio', '--graph')).to.deep.equal({ kind: 'istio' });
    expect(parseCallGraphSpec('none', '--graph')).to.deep.equal({ kind: 'none' });
    expect(parseCallGraphSpec('topo/shop.yaml', '--graph')).to.deep.equal({ kind: 'topology', path: 'topo/shop.yaml' });
    expect(() => parseCallGraphSpec('jaeger', '--graph')).to.throw('--graph: expected "istio", "none" or a topology file (.yaml), got "jaeger"');
  });

  it('restricts a graph to the modelled services, in their order', () => {
    expect(restrictCallGraph(graph, ['c', 'b'])).to.deep.equal({ services: ['c', 'b'], edges: [{ from: 'b', to: 'c', weight: 1 }] });
  });

  it("takes a topology file's edges among the given services (boutique: cartservice → redis-cart dropped)", () => {
    const g = topologyGraphFor(join(process.cwd(), 'data', 'topologies', 'online-boutique.yaml'), ['frontend', 'cartservice', 'checkoutservice']);
    expect(g.edges.map((e) => `${e.from}>${e.to}`).sort()).to.deep.equal(['checkoutservice>cartservice', 'frontend>cartservice', 'frontend>checkoutservice']);
  });
});
