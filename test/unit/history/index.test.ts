import { expect } from 'chai';
import { History } from '../../../src/history/index.js';
import type { Frame } from '../../../src/core/frame.js';

const STEP = 30;
function frame(t: number, values: number[], services = ['a', 'b'], features = ['cpu_cores', 'req'] as const): Frame {
  return { timestamp: t * STEP * 1000, services, features: [...features], values: Float32Array.from(values) };
}

describe('History (ring buffer of frames)', () => {
  it('returns no window until enough frames exist', () => {
    const h = new History(['a', 'b'], ['cpu_cores', 'req'], STEP, 4);
    h.push(frame(1, [1, 2, 3, 4]));
    expect(h.window(2)).to.equal(null);
    h.push(frame(2, [5, 6, 7, 8]));
    const w = h.window(2)!;
    expect(Array.from(w.values)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(w.timestamps)).to.deep.equal([30_000, 60_000]);
  });

  it('keeps only the newest frames once full, oldest first', () => {
    const h = new History(['a'], ['req'], STEP, 3);
    for (let t = 1; t <= 5; t++) h.push(frame(t, [t], ['a'], ['req'] as never));
    expect(h.size).to.equal(3);
    expect(Array.from(h.window(3)!.values)).to.deep.equal([3, 4, 5]);
  });

  it('fills skipped steps with gaps (NaN), never zeros', () => {
    const h = new History(['a'], ['req'], STEP, 5);
    h.push(frame(1, [10], ['a'], ['req'] as never));
    h.push(frame(4, [40], ['a'], ['req'] as never));
    const w = h.window(4)!;
    expect(w.values[0]).to.equal(10);
    expect(Number.isNaN(w.values[1]!)).to.equal(true);
    expect(Number.isNaN(w.values[2]!)).to.equal(true);
    expect(w.values[3]).to.equal(40);
    expect(Array.from(w.timestamps)).to.deep.equal([30_000, 60_000, 90_000, 120_000]);
  });

  it('ignores a frame that is not newer than the latest (a retried step)', () => {
    const h = new History(['a'], ['req'], STEP, 3);
    h.push(frame(2, [2], ['a'], ['req'] as never));
    h.push(frame(2, [99], ['a'], ['req'] as never));
    h.push(frame(1, [1], ['a'], ['req'] as never));
    expect(h.size).to.equal(1);
    expect(Array.from(h.window(1)!.values)).to.deep.equal([2]);
  });

  it('maps frames by service and feature name, leaving absent ones as gaps', () => {
    const h = new History(['a', 'b'], ['cpu_cores', 'req'], STEP, 2);
    h.push({ timestamp: 1000, services: ['b'], features: ['req', 'cpu_cores'], values: Float32Array.from([7, 3]) });
    const w = h.window(1)!;
    expect(Number.isNaN(w.values[0]!)).to.equal(true);
    expect(Number.isNaN(w.values[1]!)).to.equal(true);
    expect(Array.from(w.values.subarray(2))).to.deep.equal([3, 7]);
  });
});
