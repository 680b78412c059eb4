/**
 * The apiserver's reviews failing under the adapter: TokenReview and SubjectAccessReview hanging or
 * answering 500. Twenty identical requests at once must send one review (coalesced), all be answered
 * within the review deadline, and never show the client what the apiserver said (it goes to the log).
 */
import { expect } from 'chai';
import { DEFAULT_REVIEW_TIMEOUT_MS } from '../../../src/auth/inflight.js';
import { startHarness, type Harness } from './harness.js';
import { expectStatus } from './status-assertions.js';

const REPLICAS = '/apis/external.metrics.k8s.io/v1beta1/namespaces/online-boutique/deepscaler_desired_replicas';
const TIMEOUT_MS = 1_500;

interface Row {
  readonly name: string;
  readonly review: 'token' | 'access';
  readonly fault: 'hang' | 'error';
  readonly code: number;
  /** What the log must say about it. */
  readonly logged: RegExp;
}

const ROWS: readonly Row[] = [
  { name: 'TokenReview hangs', review: 'token', fault: 'hang', code: 401, logged: /TokenReview took longer than 1500 ms/ },
  { name: 'TokenReview answers 500', review: 'token', fault: 'error', code: 401, logged: /apiserver-internal-detail/ },
  { name: 'SubjectAccessReview hangs', review: 'access', fault: 'hang', code: 500, logged: /SubjectAccessReview took longer than 1500 ms/ },
  { name: 'SubjectAccessReview answers 500', review: 'access', fault: 'error', code: 500, logged: /apiserver-internal-detail/ },
];

describe('apiserver reviews hanging or failing', function () {
  this.timeout(30_000);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('the default review deadline is at most 10 s', () => {
    expect(DEFAULT_REVIEW_TIMEOUT_MS).to.be.at.most(10_000);
  });

  for (const row of ROWS) {
    it(`${row.name}: 20 identical requests send one review, are answered within the deadline, and see no apiserver detail`, async () => {
      h = await startHarness({ tokens: { good: { username: 'hpa' } }, reviewTimeoutMs: TIMEOUT_MS });
      h.fake.reviewFault = row.fault;
      const harness = h;
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          row.review === 'token' ? harness.get(REPLICAS, undefined, { authorization: 'Bearer good' }) : harness.get(REPLICAS, harness.pki.alice),
        ),
      );
      const elapsed = Date.now() - started;
      expect(elapsed, 'answered within the deadline (plus slack for TLS handshakes)').to.be.below(TIMEOUT_MS + 3_000);
      const sent = row.review === 'token' ? h.fake.tokenReviews.length : h.fake.accessReviews.length;
      expect(sent, 'reviews sent to the apiserver').to.equal(1);
      for (const res of answers) {
        expectStatus(res, row.code, row.code === 401 ? 'Unauthorized' : 'InternalError', /see the adapter log/);
        expect(res.text).to.not.match(/apiserver-internal|etcdserver|x-internal-detail|took longer/);
        expect(JSON.stringify(res.headers)).to.not.contain('apiserver-internal');
      }
      expect(
        h.logLines.some((l) => row.logged.test(l)),
        `the log says ${row.logged}`,
      ).to.equal(true);
    });
  }
});
