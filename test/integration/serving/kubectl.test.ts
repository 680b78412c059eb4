/**
 * A real client: Debian's kubectl (1.20) with a kubeconfig that authenticates by client
 * certificate, reading discovery and a metric with `kubectl get --raw`, and showing our Status
 * message for a bad selector.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { debianBinary } from '../../support/debian.js';
import { tempDir, writeKeyPair, type KeyPairPem } from '../../support/pki.js';
import { localKubeconfig } from '../../../src/serving/flags.js';
import { startHarness, type Harness } from './harness.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(binary: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A kubeconfig for the harness's server that authenticates with `client`. */
function writeKubeconfig(h: Harness, client: KeyPairPem): string {
  const dir = tempDir('deepscaler-kubectl-');
  const files = writeKeyPair(dir, 'client', client);
  const serverCaFile = join(dir, 'serving-ca.crt');
  writeFileSync(serverCaFile, h.pki.servingCa.cert);
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, localKubeconfig(h.server.url, { certFile: files.certFile, keyFile: files.keyFile, serverCaFile }));
  return path;
}

describe('kubectl get --raw against the API (Debian kubernetes-client)', function () {
  this.timeout(180_000);
  let h: Harness;
  let kubectl: string;
  let kubeconfig: string;

  before(async () => {
    kubectl = debianBinary('kubernetes-client', 'kubectl');
    h = await startHarness();
    kubeconfig = writeKubeconfig(h, h.pki.admin);
  });
  after(async () => h?.close());

  const raw = (path: string): Promise<Run> => run(kubectl, ['--kubeconfig', kubeconfig, 'get', '--raw', path]);

  it('reads the API resource list', async () => {
    const r = await raw('/apis/external.metrics.k8s.io/v1beta1');
    expect(r.code, r.stderr).to.equal(0);
    const list = JSON.parse(r.stdout) as { kind: string; resources: Array<{ name: string }> };
    expect(list.kind).to.equal('APIResourceList');
    expect(list.resources.map((x) => x.name)).to.include('deepscaler_desired_replicas');
  });

  it('reads the group list', async () => {
    const r = await raw('/apis');
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.have.property('kind', 'APIGroupList');
  });

  it('reads a metric value with a label selector', async () => {
    const r = await raw('/apis/external.metrics.k8s.io/v1beta1/namespaces/online-boutique/deepscaler_desired_replicas?labelSelector=service%3Dfrontend');
    expect(r.code, r.stderr).to.equal(0);
    const list = JSON.parse(r.stdout) as { items: Array<{ value: string; metricLabels: Record<string, string> }> };
    expect(list.items).to.have.length(1);
    expect(list.items[0]).to.deep.include({ value: '3', metricLabels: { service: 'frontend' } });
  });

  it('shows our Status message for a bad selector', async () => {
    const r = await raw('/apis/external.metrics.k8s.io/v1beta1/namespaces/online-boutique/deepscaler_desired_replicas?labelSelector=service%20in%20frontend');
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/found "frontend" at position 11, expected "\("/);
  });

  it('shows the 403 message to a user the cluster does not authorize', async () => {
    const r = await run(kubectl, ['--kubeconfig', writeKubeconfig(h, h.pki.alice), 'get', '--raw', '/apis/external.metrics.k8s.io/v1beta1']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/Forbidden.*User "alice" cannot get path "\/apis\/external.metrics.k8s.io\/v1beta1"/);
  });
});
