/**
 * The authentication × authorization matrix, over real TLS, with a fake apiserver answering
 * TokenReview and SubjectAccessReview through the real @kubernetes/client-node client.
 */
import { expect } from 'chai';
import type { V1SubjectAccessReviewSpec } from '@kubernetes/client-node';
import { makeClientCert } from '../../support/pki.js';
import { startHarness, type Harness } from './harness.js';
import { expectStatus } from './status-assertions.js';

const GV = '/apis/external.metrics.k8s.io/v1beta1';
const METRIC = `${GV}/namespaces/online-boutique/deepscaler_desired_replicas?labelSelector=service%3Dfrontend`;
const HPA = 'system:serviceaccount:kube-system:horizontal-pod-autoscaler';

/** RBAC in miniature: the HPA may list every external metric; nobody else may do anything. */
function policy(spec: V1SubjectAccessReviewSpec): { allowed: boolean; reason?: string } {
  const hpaReads = spec.user === HPA && spec.resourceAttributes?.group === 'external.metrics.k8s.io' && spec.resourceAttributes.verb === 'list';
  const tokenUser = spec.user === 'token-user';
  return hpaReads || tokenUser ? { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding' } : { allowed: false, reason: '' };
}

describe('API authentication and authorization', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ authorize: policy, tokens: { 'good-token': { username: 'token-user', uid: 'u-1', groups: ['token-group'] } } });
  });
  after(async () => h.close());
  beforeEach(() => {
    h.fake.accessReviews.length = 0;
    h.fake.tokenReviews.length = 0;
  });

  const asHpa = { 'x-remote-user': HPA, 'x-remote-group': ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] };

  it('no certificate and no token: anonymous, which SubjectAccessReview denies with 403', async () => {
    expectStatus(await h.get(METRIC), 403, 'Forbidden', /User "system:anonymous" cannot list resource "deepscaler_desired_replicas"/);
    expect(h.fake.accessReviews.map((s) => s.user)).to.deep.equal(['system:anonymous']);
    expect(h.fake.accessReviews[0]!.groups).to.deep.equal(['system:unauthenticated']);
  });

  it('ignores X-Remote-User/X-Remote-Group on a connection without a front-proxy certificate', async () => {
    const forged = { 'x-remote-user': 'admin', 'x-remote-group': 'system:masters' };
    expectStatus(await h.get(METRIC, undefined, forged), 403, 'Forbidden', /User "system:anonymous"/);
    // Whatever was asked of the cluster (the anonymous deny may be cached), it was never about "admin".
    expect(h.fake.accessReviews.map((s) => s.user)).not.to.include('admin');
  });

  it('ignores X-Remote-* headers on a client-CA connection: the certificate is the identity', async () => {
    const forged = { 'x-remote-user': HPA, 'x-remote-group': 'system:masters' };
    expectStatus(await h.get(METRIC, h.pki.alice, forged), 403, 'Forbidden', /User "alice"/);
    expect(h.fake.accessReviews[0]).to.deep.include({ user: 'alice', groups: ['developers', 'system:authenticated'] });
  });

  it('rejects a front-proxy certificate whose CN is not in requestheader-allowed-names with 401', async () => {
    expectStatus(await h.get(METRIC, h.pki.frontProxyWrongName, asHpa), 401, 'Unauthorized', /CN "not-the-aggregator" is not in requestheader-allowed-names/);
    expect(h.fake.accessReviews).to.be.empty;
  });

  it('rejects a certificate from an unknown CA with 401, even if it claims system:masters', async () => {
    expectStatus(await h.get(METRIC, h.pki.stranger), 401, 'Unauthorized', /not signed by a trusted certificate authority/);
    expect(h.fake.accessReviews).to.be.empty;
  });

  it('rejects an expired client certificate with 401', async () => {
    const expired = makeClientCert(h.pki.clientCa, 'admin', ['system:masters'], {
      notBefore: new Date(Date.now() - 3 * 864e5),
      notAfter: new Date(Date.now() - 864e5),
    });
    expectStatus(await h.get(METRIC, expired), 401, 'Unauthorized', /expired or not yet valid/);
  });

  it('valid front-proxy certificate + SubjectAccessReview allow: 200, with the identity from the headers', async () => {
    const res = await h.get(METRIC, h.pki.frontProxy, { ...asHpa, 'x-remote-extra-authentication.kubernetes.io%2fpod-name': 'hpa-pod' });
    expect(res.status, res.text).to.equal(200);
    expect(res.json()['kind']).to.equal('ExternalMetricValueList');
    expect(h.fake.accessReviews).to.have.length(1);
    expect(h.fake.accessReviews[0]).to.deep.include({
      user: HPA,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/pod-name': ['hpa-pod'] },
      resourceAttributes: {
        namespace: 'online-boutique',
        verb: 'list',
        group: 'external.metrics.k8s.io',
        version: 'v1beta1',
        resource: 'deepscaler_desired_replicas',
      },
    });
  });

  it('valid front-proxy certificate + SubjectAccessReview deny: 403 with the Kubernetes-style message', async () => {
    const res = await h.get(METRIC, h.pki.frontProxy, { 'x-remote-user': 'mallory' });
    expectStatus(res, 403, 'Forbidden');
    expect(res.json()['message']).to.equal(
      'deepscaler_desired_replicas.external.metrics.k8s.io is forbidden: User "mallory" cannot list resource "deepscaler_desired_replicas" in API group "external.metrics.k8s.io" in the namespace "online-boutique"',
    );
  });

  it('asks about discovery with non-resource attributes', async () => {
    expectStatus(
      await h.get(GV, h.pki.frontProxy, { 'x-remote-user': 'mallory' }),
      403,
      'Forbidden',
      /^forbidden: User "mallory" cannot get path "\/apis\/external.metrics.k8s.io\/v1beta1"$/,
    );
    expect(h.fake.accessReviews[0]!.nonResourceAttributes).to.deep.equal({ path: GV, verb: 'get' });
    expect(h.fake.accessReviews[0]!.resourceAttributes).to.equal(undefined);
  });

  it('allows system:masters without asking the cluster (the aggregator availability probe)', async () => {
    const probe = await h.get(GV, h.pki.frontProxy, { 'x-remote-user': 'system:kube-aggregator', 'x-remote-group': 'system:masters' });
    expect(probe.status).to.equal(200);
    expect((await h.get(METRIC, h.pki.admin)).status).to.equal(200);
    expect(h.fake.accessReviews).to.be.empty;
  });

  it('a front-proxy certificate without a user header is not an identity: anonymous', async () => {
    expectStatus(await h.get(METRIC, h.pki.frontProxy), 403, 'Forbidden', /User "system:anonymous"/);
  });

  it('bearer token: TokenReview names the user, SubjectAccessReview decides, both answers are cached', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await h.get(METRIC, undefined, { authorization: 'Bearer good-token' });
      expect(res.status, res.text).to.equal(200);
    }
    expect(h.fake.tokenReviews).to.deep.equal(['good-token']);
    expect(h.fake.accessReviews).to.have.length(1);
    expect(h.fake.accessReviews[0]).to.deep.include({ user: 'token-user', uid: 'u-1', groups: ['token-group', 'system:authenticated'] });
  });

  it("bearer token that TokenReview does not accept: 401, never anonymous; the apiserver's reason only in the log", async () => {
    const res = await h.get(METRIC, undefined, { authorization: 'Bearer bad-token' });
    expectStatus(res, 401, 'Unauthorized', /^Unauthorized: token not accepted$/);
    expect(h.fake.accessReviews).to.be.empty;
    expect(h.logLines.some((l) => l.includes('TokenReview: token not recognized'))).to.equal(true);
  });

  it('an Authorization header that is not a bearer token: 401', async () => {
    expectStatus(await h.get(METRIC, undefined, { authorization: 'Basic YWRtaW46YWRtaW4=' }), 401, 'Unauthorized', /not a bearer token/);
  });

  it('caches a deny too: a repeated forbidden request asks the cluster once', async () => {
    for (let i = 0; i < 3; i++) expect((await h.get(METRIC, h.pki.frontProxy, { 'x-remote-user': 'eve' })).status).to.equal(403);
    expect(h.fake.accessReviews).to.have.length(1);
  });

  it('asks again once the review cache expires', async () => {
    const h2 = await startHarness({ authorize: policy, reviewCacheTtlMs: 50 });
    try {
      expect((await h2.get(METRIC, h2.pki.frontProxy, asHpa)).status).to.equal(200);
      await new Promise((r) => setTimeout(r, 80));
      expect((await h2.get(METRIC, h2.pki.frontProxy, asHpa)).status).to.equal(200);
      expect(h2.fake.accessReviews).to.have.length(2);
    } finally {
      await h2.close();
    }
  });

  it('answers 500 (details only in the log) when SubjectAccessReview cannot be reached', async () => {
    const h2 = await startHarness({ authorize: policy });
    await h2.fake.close();
    try {
      const body = expectStatus(await h2.get(METRIC, h2.pki.frontProxy, asHpa), 500, 'InternalError', /authorization check \(SubjectAccessReview\) failed/);
      expect(body['message']).not.to.match(/ECONNREFUSED/);
      expect(h2.logLines.join('\n')).to.contain('request failed');
    } finally {
      await h2.server.close();
    }
  });

  it('the allow-all development switch lets anonymous read, says so loudly in the log and in /metrics', async () => {
    const h2 = await startHarness({ insecureAllowAll: true });
    try {
      expect((await h2.get(METRIC)).status).to.equal(200);
      expect(h2.fake.accessReviews).to.be.empty;
      expect(h2.logLines.join('\n')).to.match(/"level":"warn","msg":"AUTHORIZATION DISABLED/);
      expect(await h2.registry.getSingleMetricAsString('deepscaler_api_authorization_disabled')).to.match(/deepscaler_api_authorization_disabled 1/);
    } finally {
      await h2.close();
    }
  });
});
