import { expect } from 'chai';
import { userFromHeaders } from '../../../src/auth/authenticate.js';
import { buildAuthenticationSettings } from '../../../src/auth/settings.js';
import { makeCa } from '../../support/pki.js';

describe('front-proxy identity from headers', function () {
  this.timeout(20_000);
  const ca = makeCa('front-proxy-ca');
  const settings = (names: { usernameHeaders?: string[]; groupHeaders?: string[]; extraHeaderPrefixes?: string[] } = {}) =>
    buildAuthenticationSettings({ requestHeaderCA: { pem: ca.cert, source: 'ca' }, ...names }).requestHeader!;

  it('reads configured header names whatever their case', () => {
    const user = userFromHeaders(
      { 'x-custom-user': ['bob'], 'x-custom-group': ['g1', 'g2'], 'x-custom-extra-scope': ['a'] },
      settings({ usernameHeaders: ['X-Custom-User'], groupHeaders: ['X-Custom-Group'], extraHeaderPrefixes: ['X-Custom-Extra-'] }),
    );
    expect(user).to.deep.equal({ username: 'bob', groups: ['g1', 'g2', 'system:authenticated'], extra: { scope: ['a'] } });
  });

  it('takes the first non-empty user header in the configured order', () => {
    const user = userFromHeaders({ 'x-first': [''], 'x-second': ['carol'] }, settings({ usernameHeaders: ['X-First', 'X-Second'] }));
    expect(user?.username).to.equal('carol');
  });

  it('percent-decodes and lowercases extra keys, and merges repeated ones', () => {
    const user = userFromHeaders({ 'x-remote-user': ['u'], 'x-remote-extra-example.org%2fkey': ['1'], 'x-remote-extra-example.org%2FKEY': ['2'] }, settings());
    expect(user?.extra).to.deep.equal({ 'example.org/key': ['1', '2'] });
  });

  it('is no identity without a user header (other methods then apply)', () => {
    expect(userFromHeaders({ 'x-remote-group': ['system:masters'] }, settings())).to.equal(null);
  });
});
