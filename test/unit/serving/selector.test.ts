import { expect } from 'chai';
import { ApiError } from '../../../src/serving/index.js';
import { parseLabelSelector, parseRequirements } from '../../../src/serving/selector.js';

const labels = { service: 'frontend', tier: 'web', 'app.kubernetes.io/name': 'boutique' };

function matches(selector: string, l: Record<string, string> = labels): boolean {
  return parseLabelSelector(selector)(l);
}

function badRequest(selector: string): ApiError {
  try {
    parseLabelSelector(selector);
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    const apiError = err as ApiError;
    expect(apiError.code).to.equal(400);
    expect(apiError.reason).to.equal('BadRequest');
    return apiError;
  }
  throw new Error(`selector ${JSON.stringify(selector)} was accepted`);
}

describe('label selector parser', () => {
  describe('valid selectors', () => {
    it('matches everything when absent or empty', () => {
      expect(parseLabelSelector(undefined)({})).to.equal(true);
      expect(matches('', {})).to.equal(true);
      expect(matches('   ', {})).to.equal(true);
    });

    it('k=v and k==v test equality', () => {
      expect(matches('service=frontend')).to.equal(true);
      expect(matches('service==frontend')).to.equal(true);
      expect(matches('service=cart')).to.equal(false);
      expect(matches('missing=frontend')).to.equal(false);
    });

    it('k!=v matches other values and absent keys', () => {
      expect(matches('service!=cart')).to.equal(true);
      expect(matches('service!=frontend')).to.equal(false);
      expect(matches('missing!=x')).to.equal(true);
    });

    it('k in (a,b) tests set membership', () => {
      expect(matches('service in (cart,frontend)')).to.equal(true);
      expect(matches('service in (cart)')).to.equal(false);
      expect(matches('missing in (frontend)')).to.equal(false);
    });

    it('k notin (a,b) matches values outside the set and absent keys', () => {
      expect(matches('service notin (cart,checkout)')).to.equal(true);
      expect(matches('service notin (frontend)')).to.equal(false);
      expect(matches('missing notin (x)')).to.equal(true);
    });

    it('k tests existence and !k absence', () => {
      expect(matches('tier')).to.equal(true);
      expect(matches('missing')).to.equal(false);
      expect(matches('!missing')).to.equal(true);
      expect(matches('!tier')).to.equal(false);
    });

    it('commas AND requirements together', () => {
      expect(matches('service=frontend,tier=web')).to.equal(true);
      expect(matches('service=frontend,tier=db')).to.equal(false);
      expect(matches('service in (frontend, cart), !missing, tier')).to.equal(true);
    });

    it('accepts prefixed keys, whitespace anywhere between tokens, and keywords as keys or values', () => {
      expect(matches('app.kubernetes.io/name = boutique')).to.equal(true);
      expect(matches(' service  in  ( frontend ) ')).to.equal(true);
      expect(matches('in=in', { in: 'in' })).to.equal(true);
      expect(matches('x notin (in, notin)', { x: 'y' })).to.equal(true);
    });

    it('an empty value after = matches the empty label value', () => {
      expect(matches('service=', { service: '' })).to.equal(true);
      expect(matches('service=', { service: 'x' })).to.equal(false);
      expect(matches('service=,tier=web', { service: '', tier: 'web' })).to.equal(true);
    });

    it('parses what the HPA sends (metav1.LabelSelectorAsSelector(...).String())', () => {
      const r = parseRequirements('app in (a,b),service=frontend,tier!=db');
      expect(r.map((x) => [x.key, x.operator, [...x.values]])).to.deep.equal([
        ['app', 'in', ['a', 'b']],
        ['service', 'equals', ['frontend']],
        ['tier', 'notEquals', ['db']],
      ]);
    });

    it('accepts the longest valid key name and value (63 characters)', () => {
      const name = 'a'.repeat(63);
      expect(matches(`${name}=${name}`, { [name]: name })).to.equal(true);
    });
  });

  describe('invalid selectors answer 400 naming the problem', () => {
    const cases: Array<[string, RegExp]> = [
      ['service=front end', /found "end" at position 14, expected "," or end of selector/],
      ['service=a=b', /found "=" at position 9/],
      ['=frontend', /found "=" at position 0, expected a label key/],
      ['service=frontend,', /found end of selector, expected a label key/],
      [',service', /found "," at position 0, expected a label key/],
      ['service in frontend', /found "frontend" .* expected "\("/],
      ['service in (a', /found end of selector, expected "," or "\)"/],
      ['service in (a b)', /found "b"/],
      ['service notin', /found end of selector, expected "\("/],
      ['!', /found end of selector, expected a label key/],
      ['!service=frontend', /found "=" at position 8, expected "," or end of selector/],
      ['service frontend', /expected one of "=", "==", "!=", "in", "notin"/],
      ['service=-bad', /value "-bad" must be empty or have at most 63 characters/],
      [`service=${'a'.repeat(64)}`, /must be empty or have at most 63 characters/],
      [`${'k'.repeat(64)}=v`, /invalid key: name "k{64}" must have at most 63 characters/],
      ['Bad_Prefix/name=v', /prefix "Bad_Prefix" must be a DNS subdomain/],
      ['/name=v', /prefix "" must be a DNS subdomain/],
      ['a/b/c=v', /name "b\/c" must have/],
      ['service=fr%nt', /value "fr%nt"/],
      ['replicas>3', /operator ">" at position 8 is not supported/],
      ['service==(a)', /found "\(" at position 9, expected a label value/],
    ];
    for (const [selector, message] of cases) {
      it(`rejects ${JSON.stringify(selector)}`, () => {
        const err = badRequest(selector);
        expect(err.message).to.match(message);
        expect(err.message).to.contain(`invalid labelSelector "${selector}"`);
      });
    }

    it('echoes a 10 kB selector once, cut, not twice in full', () => {
      for (const selector of [`service=${'v'.repeat(10_000)}`, `${'k'.repeat(10_000)}=v`, `service in (${'v'.repeat(10_000)}`]) {
        const err = badRequest(selector);
        expect(err.message).to.contain(`(${selector.length} characters)`);
        expect(err.message.length, err.message).to.be.below(600);
      }
    });
  });
});
