import { expect } from 'chai';
import { parseDuration, parseTime } from '../../../src/cli/collect.js';

const NOW = Date.parse('2024-04-07T12:00:00Z');

describe('collect: time and duration flags', () => {
  it('reads durations in ms, s, m, h and d', () => {
    expect(parseDuration('30s', '--step')).to.equal(30_000);
    expect(parseDuration('1.5m', '--step')).to.equal(90_000);
    expect(parseDuration('24h', '--step')).to.equal(86_400_000);
    expect(parseDuration('7d', '--step')).to.equal(604_800_000);
    expect(() => parseDuration('30', '--timeout')).to.throw('--timeout: "30" is not a duration (e.g. 30s, 5m, 24h, 7d)');
  });

  it('reads now, now-<duration>, ISO-8601 and Unix seconds', () => {
    expect(parseTime('now', '--end', NOW)).to.equal(NOW);
    expect(parseTime('now-24h', '--start', NOW)).to.equal(NOW - 86_400_000);
    expect(parseTime('2024-04-06T11:30:00Z', '--start', NOW)).to.equal(Date.parse('2024-04-06T11:30:00Z'));
    expect(parseTime('1712403000', '--start', NOW)).to.equal(1_712_403_000_000);
    expect(() => parseTime('yesterday', '--start', NOW)).to.throw(
      '--start: "yesterday" is not a time (use now, now-24h, 2024-04-06T11:30:00Z or Unix seconds)',
    );
  });
});
