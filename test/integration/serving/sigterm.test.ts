/**
 * `deepscaler serve` under SIGTERM while the apiserver hangs every TokenReview: requests waiting on
 * a review are answered within the review deadline, and the process exits, instead of living on for
 * as long as the hung calls (33 s+ before issue 14).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/eventually.js';
import { httpsGet, type TestResponse } from '../../support/https-client.js';
import { makeCa, tempDir } from '../../support/pki.js';
import { writeReplayConfigWithoutModel } from '../../support/replay-config.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const METRIC = '/apis/external.metrics.k8s.io/v1beta1/namespaces/online-boutique/deepscaler_desired_replicas';

describe('serve: SIGTERM with hung apiserver reviews', function () {
  this.timeout(120_000);
  let fake: FakeApiServer | undefined;
  after(async () => fake?.close());

  it('answers the waiting requests within the review deadline and exits', async () => {
    fake = await startFakeApiServer();
    fake.reviewFault = 'hang';
    const dir = tempDir('deepscaler-sigterm-');
    writeFileSync(join(dir, 'kubeconfig'), fake.kubeConfig().exportConfig());
    writeFileSync(join(dir, 'client-ca.crt'), makeCa('client-ca').cert);
    // The shipped replay without the model: this is about shutdown, and it starts in seconds.
    const config = writeReplayConfigWithoutModel(dir);
    const certDir = join(dir, 'certs');
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'dist', 'src', 'cli', 'main.js'),
        'serve',
        '--config',
        config,
        '--kubeconfig',
        join(dir, 'kubeconfig'),
        '--client-ca-file',
        join(dir, 'client-ca.crt'),
        '--secure-port',
        String(port),
        '--cert-dir',
        certDir,
        '--no-grpc',
        '--no-events',
      ],
      { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, LOG_LEVEL: 'error' } },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const ca = (): string => readFileSync(join(certDir, 'tls.crt'), 'utf8');
      await eventually(async () => (await httpsGet(`https://127.0.0.1:${port}/readyz`, { ca: ca() })).status === 200, 'serve is ready', 60_000);
      const waiting: Array<Promise<TestResponse>> = Array.from({ length: 5 }, () =>
        httpsGet(`https://127.0.0.1:${port}${METRIC}`, { ca: ca() }, { authorization: 'Bearer hangs' }),
      );
      await eventually(() => fake!.tokenReviews.length > 0, 'a TokenReview is pending');
      const signalled = Date.now();
      child.kill('SIGTERM');
      const answers = await Promise.all(waiting);
      expect(answers.map((a) => a.status)).to.deep.equal([401, 401, 401, 401, 401]);
      expect(await exited).to.equal(0);
      expect(Date.now() - signalled, 'exit within the 10 s review deadline plus shutdown').to.be.below(15_000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
