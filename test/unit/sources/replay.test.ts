import { expect } from 'chai';
import { ReplayEndedError, ReplaySource } from '../../../src/sources/replay.js';
import { frameValue } from '../../../src/core/frame.js';
import type { Dataset } from '../../../src/dataset/index.js';

// Four steps of two services × one feature: a's req is 10 × step, b's is 10 × step + 1.
const ds: Dataset = {
  services: ['a', 'b'],
  features: ['req'],
  stepSeconds: 30,
  startMs: null,
  length: 4,
  values: Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]),
};
const ANCHOR = 1_700_000_000_000;
const STEP = 30_000;

describe('replay source', () => {
  it('serves the dataset step that wall-clock time has reached, stamped on step boundaries', async () => {
    const replay = new ReplaySource(ds, { anchorMs: ANCHOR });
    const frame = await replay.frame(ANCHOR + 2 * STEP + 29_999);
    expect(frame.timestamp).to.equal(ANCHOR + 2 * STEP);
    expect(frameValue(frame, 'a', 'req')).to.equal(20);
    expect(frameValue(frame, 'b', 'req')).to.equal(21);
    expect(replay.services).to.deep.equal(['a', 'b']);
    expect(replay.stepSeconds).to.equal(30);
  });

  it('runs `speed` times faster than real time, with stamps one step apart', async () => {
    const replay = new ReplaySource(ds, { anchorMs: ANCHOR, speed: 10 });
    const frame = await replay.frame(ANCHOR + 3_000);
    expect(frameValue(frame, 'a', 'req')).to.equal(10);
    expect(frame.timestamp).to.equal(ANCHOR + STEP);
    expect(replay.nextStepAt(ANCHOR + 3_000)).to.equal(ANCHOR + 6_000);
  });

  it('starts at a given step offset', async () => {
    const replay = new ReplaySource(ds, { anchorMs: ANCHOR, startStep: 3 });
    expect(frameValue(await replay.frame(ANCHOR), 'a', 'req')).to.equal(30);
  });

  it('loops past the last step by default, also for times before the anchor', async () => {
    const replay = new ReplaySource(ds, { anchorMs: ANCHOR, startStep: 3 });
    expect(replay.datasetStep(ANCHOR + STEP)).to.equal(0);
    expect(replay.datasetStep(ANCHOR - 4 * STEP)).to.equal(3);
  });

  it('ends clearly when asked not to loop', async () => {
    const replay = new ReplaySource(ds, { anchorMs: ANCHOR, atEnd: 'end', name: 'boutique' });
    expect(frameValue(await replay.frame(ANCHOR + 3 * STEP), 'a', 'req')).to.equal(30);
    let caught: unknown;
    await replay.frame(ANCHOR + 4 * STEP).catch((e: unknown) => (caught = e));
    expect(caught).to.be.instanceOf(ReplayEndedError);
    expect((caught as ReplayEndedError).step).to.equal(4);
    expect((caught as Error).message).to.match(/^boutique: replay ended: replay time .* is step 4, outside the dataset's 4 steps$/);
  });

  it('range yields one frame per step whose start lies in [start, end], reporting progress', async () => {
    const replay = new ReplaySource(ds, { anchorMs: ANCHOR });
    const seen: Array<[number, number]> = [];
    const frames = await replay.range(ANCHOR + 1, ANCHOR + 3 * STEP, (done, total) => seen.push([done, total]));
    expect(frames.map((f) => f.timestamp)).to.deep.equal([ANCHOR + STEP, ANCHOR + 2 * STEP, ANCHOR + 3 * STEP]);
    expect(frames.map((f) => frameValue(f, 'b', 'req'))).to.deep.equal([11, 21, 31]);
    expect(seen.at(-1)).to.deep.equal([3, 3]);
  });

  it('copies values, so a consumer changing a frame does not change the dataset', async () => {
    const replay = new ReplaySource(ds, { anchorMs: ANCHOR });
    (await replay.frame(ANCHOR)).values[0] = 99;
    expect(frameValue(await replay.frame(ANCHOR), 'a', 'req')).to.equal(0);
  });

  it('rejects a bad speed or start step, and an empty dataset', () => {
    expect(() => new ReplaySource(ds, { speed: 0 })).to.throw('speed must be a positive number, got 0');
    expect(() => new ReplaySource(ds, { startStep: 4 })).to.throw('startStep must be a whole number from 0 to 3, got 4');
    expect(() => new ReplaySource({ ...ds, length: 0, values: new Float32Array(0) })).to.throw('the dataset has no steps to replay');
  });
});
