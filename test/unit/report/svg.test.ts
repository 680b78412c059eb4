import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heatmapSvg, lineChartSvg, niceTicks, writeSvg } from '../../../src/report/svg.js';

describe('report/svg', () => {
  it('niceTicks gives round, evenly spaced values inside the range', () => {
    const ticks = niceTicks(0.3, 9.7);
    expect(ticks).to.deep.equal([2, 4, 6, 8]);
    expect(niceTicks(0, 1, 4)).to.deep.equal([0, 0.5, 1]);
  });

  it('line chart draws one polyline per unbroken run and one legend entry per series', () => {
    const svg = lineChartSvg(
      [
        { name: 'actual', values: [1, 2, Number.NaN, 4, 5] },
        { name: 'forecast <gnn>', values: [1, 2, 3, 4, 5], dashed: true },
      ],
      { title: 'demo', xLabel: 'step', yLabel: 'req/s' },
    );
    expect(svg.match(/<polyline/g)).to.have.length(3); // the gap splits "actual" in two
    expect(svg).to.contain('forecast &lt;gnn&gt;');
    expect(svg).to.contain('stroke-dasharray');
    expect(svg.startsWith('<svg')).to.equal(true);
  });

  it('puts the legend right of the plot, never over the data, and wide enough for the longest name', () => {
    const long = 'recommendationservice forecast (GNN, horizon 10)';
    const svg = lineChartSvg(
      [
        { name: 'actual', values: [5, 5, 5, 5] },
        { name: long, values: [5, 5, 5, 5] },
      ],
      { title: 'demo', width: 720 },
    );
    const plot = /<rect x="(\d+)" y="\d+" width="(\d+(?:\.\d+)?)" height="[\d.]+" fill="none" stroke="black"\/>/.exec(svg)!;
    const plotRight = Number(plot[1]) + Number(plot[2]);
    const width = Number(/<svg [^>]*width="(\d+(?:\.\d+)?)"/.exec(svg)![1]);
    const legend = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+">([^<]+)<\/text>/g)].filter((m) => ['actual', long].includes(m[2]!));
    expect(legend).to.have.length(2);
    for (const [, x, name] of legend) {
      expect(Number(x), `${name} starts right of the plot`).to.be.greaterThan(plotRight);
      expect(Number(x) + name!.length * 6.5, `${name} ends inside the picture`).to.be.at.most(width);
    }
  });

  it('draws a one-point series (and a one-point run between gaps) as a visible dot', () => {
    const svg = lineChartSvg(
      [
        { name: 'single', values: [3] },
        { name: 'island', values: [1, 2, Number.NaN, 4, Number.NaN, 6, 7] },
      ],
      { title: 'demo' },
    );
    expect(svg.match(/<circle /g)).to.have.length(2); // "single" and the 4 between two gaps
    expect(svg.match(/<polyline/g)).to.have.length(2);
  });

  it('heatmap draws rows × cols cells and rejects a matrix of the wrong size', () => {
    const svg = heatmapSvg([0, 1, 0.5, 0], ['a', 'b'], ['a', 'b'], { title: 'graph', cellDigits: 2 });
    expect(svg.match(/<rect x=/g)).to.have.length(4);
    expect(svg).to.contain('a → b: 1');
    expect(() => heatmapSvg([0, 1, 2], ['a', 'b'], ['a', 'b'], { title: 'bad' })).to.throw(/3 values, expected 2 × 2/);
  });

  it('writeSvg stores the chart at the path', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'svg-')), 'sub', 'chart.svg');
    writeSvg(path, '<svg/>');
    expect(readFileSync(path, 'utf8')).to.equal('<svg/>');
  });
});
