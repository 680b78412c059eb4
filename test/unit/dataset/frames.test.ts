import { expect } from 'chai';
import { datasetFrame, framesToDataset } from '../../../src/dataset/frames.js';
import type { Frame } from '../../../src/core/frame.js';

const frame = (timestamp: number, values: number[], services = ['a', 'b']): Frame => ({
  timestamp,
  services,
  features: ['req'],
  values: Float32Array.from(values),
});

describe('frames ↔ dataset', () => {
  it('stacks frames one step apart into a dataset starting at the first frame, and back', () => {
    const ds = framesToDataset([frame(60_000, [1, 2]), frame(90_000, [3, Number.NaN])], 30);
    expect(ds.startMs).to.equal(60_000);
    expect(ds.length).to.equal(2);
    expect(Array.from(ds.values)).to.deep.equal([1, 2, 3, Number.NaN]);
    expect(Array.from(datasetFrame(ds, 1, 90_000).values)).to.deep.equal([3, Number.NaN]);
  });

  it('rejects frames that are not one step apart or change services, and no frames at all', () => {
    expect(() => framesToDataset([frame(0, [1, 2]), frame(60_000, [1, 2])], 30)).to.throw(
      'frame 1 is at 1970-01-01T00:01:00.000Z, expected 1970-01-01T00:00:30.000Z (step 30 s)',
    );
    expect(() => framesToDataset([frame(0, [1, 2]), frame(30_000, [1], ['a'])], 30)).to.throw(
      'frame 1 (1970-01-01T00:00:30.000Z) has other services or features than the first',
    );
    expect(() => framesToDataset([], 30)).to.throw('no frames to make a dataset from');
  });
});
