import { expect } from 'chai';
import { buildWorkload, parseMinuteCsv, parseUsersTrace, parseWorldCupCsv, loadTrace } from '../../../src/sim/workload.js';

describe('sim/workload', () => {
  it('reads per-minute counts as requests/s and rejects rows that are not a minute apart', () => {
    const trace = parseWorldCupCsv('1998-05-04 12:10:00,600\n1998-05-04 12:11:00,1200\n', 'wc.csv');
    expect(Array.from(trace.rates)).to.deep.equal([10, 20]);
    expect(trace.stepSeconds).to.equal(60);
    expect(() => parseWorldCupCsv('1998-05-04 12:10:00,600\n1998-05-04 12:12:00,600\n', 'wc.csv')).to.throw(/wc.csv:2.*one minute/);
  });

  it('reads minute,requests CSVs with a header (ClarkNet, Azure) and rejects gaps and a missing header', () => {
    expect(Array.from(parseMinuteCsv('minute,requests\n0,60\n1,120\n', 'm.csv').rates)).to.deep.equal([1, 2]);
    expect(() => parseMinuteCsv('minute,requests\n0,60\n2,120\n', 'm.csv')).to.throw(/m.csv:3.*consecutive/);
    expect(() => parseMinuteCsv('0,60\n1,120\n', 'm.csv')).to.throw(/m.csv:1.*header/);
    expect(loadTrace('data/traces/clarknet-1995-per-minute.csv').rates.length).to.equal(20_160);
  });

  it('turns concurrent users into users / think time requests/s, 5 s per row', () => {
    const trace = parseUsersTrace('30\n60\n', 'u.req', 2);
    expect(Array.from(trace.rates)).to.deep.equal([15, 30]);
    expect(trace.stepSeconds).to.equal(5);
  });

  it('names file and line of a malformed row', () => {
    expect(() => parseUsersTrace('30\nlots\n', 'u.req')).to.throw(/u.req:2/);
  });

  it('resamples to the step, scales the peak to the asked value and loops a short trace', () => {
    const trace = parseUsersTrace('10\n20\n', 'u.req'); // 10 s long
    const rates = buildWorkload(trace, { stepSeconds: 5, durationSeconds: 40, peak: 100 });
    expect(Array.from(rates)).to.deep.equal([50, 100, 50, 100, 50, 100, 50, 100]);
    const fine = buildWorkload(trace, { stepSeconds: 2.5, durationSeconds: 10, peak: 100 });
    expect(Math.max(...fine)).to.equal(100);
    expect(fine[1]).to.be.greaterThan(fine[0]!); // interpolated between the rows
  });

  it('noise is seeded: the same seed repeats, another seed differs, and rates stay ≥ 0', () => {
    const trace = loadTrace('data/traces/random-100max.req');
    const a = buildWorkload(trace, { stepSeconds: 5, durationSeconds: 3600, peak: 50, noise: 0.5, seed: 1 });
    const b = buildWorkload(trace, { stepSeconds: 5, durationSeconds: 3600, peak: 50, noise: 0.5, seed: 1 });
    const c = buildWorkload(trace, { stepSeconds: 5, durationSeconds: 3600, peak: 50, noise: 0.5, seed: 2 });
    expect(Array.from(a)).to.deep.equal(Array.from(b));
    expect(Array.from(a)).to.not.deep.equal(Array.from(c));
    expect(Math.min(...a)).to.be.at.least(0);
  });
});
