import { expect } from 'chai';
import { milliToQuantity } from '../../../src/core/quantity.js';

describe('milliToQuantity', () => {
  it('renders whole units without a suffix', () => {
    expect(milliToQuantity(7000)).to.equal('7');
    expect(milliToQuantity(1_000_000)).to.equal('1000');
  });

  it('renders fractions as milli-units', () => {
    expect(milliToQuantity(7500)).to.equal('7500m');
    expect(milliToQuantity(1)).to.equal('1m');
    expect(milliToQuantity(-250)).to.equal('-250m');
  });

  it('renders zero (and negative zero) as "0"', () => {
    expect(milliToQuantity(0)).to.equal('0');
    expect(milliToQuantity(-0)).to.equal('0');
  });

  it('rounds sub-milli values up, as the HPA reads MilliValue()', () => {
    expect(milliToQuantity(1500.2)).to.equal('1501m');
    expect(milliToQuantity(999.5)).to.equal('1');
  });

  it('never uses an exponent, even for large values', () => {
    const q = milliToQuantity(9_007_199_254_740_000);
    expect(q).to.match(/^-?\d+m?$/);
  });

  it('refuses NaN, infinities and values beyond exact integers', () => {
    expect(() => milliToQuantity(Number.NaN)).to.throw(RangeError);
    expect(() => milliToQuantity(Number.POSITIVE_INFINITY)).to.throw(RangeError);
    expect(() => milliToQuantity(1e300)).to.throw(RangeError, /out of range/);
  });

  it('produces strings Kubernetes parses back to the same milli value', () => {
    const parse = (q: string): number => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
    for (const milli of [0, 1, 999, 1000, 1001, 123456, -7, -7000]) expect(parse(milliToQuantity(milli))).to.equal(milli);
  });
});
