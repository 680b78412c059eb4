import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterConfig } from '../../../src/kube/cluster.js';
import { tempDir } from '../../support/pki.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://10.1.2.3:6443' } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;

describe('the cluster the adapter talks to (kube/cluster.ts)', () => {
  it('is the --kubeconfig file when given, in a pod or not', () => {
    const file = join(tempDir(), 'kubeconfig');
    writeFileSync(file, KUBECONFIG);
    expect(clusterConfig(file, {})?.getCurrentCluster()?.server).to.equal('https://10.1.2.3:6443');
    expect(clusterConfig(file, { KUBERNETES_SERVICE_HOST: '10.9.9.9' })?.getCurrentCluster()?.server).to.equal('https://10.1.2.3:6443');
  });

  it("is the pod's service account in a pod, and none outside one (never ~/.kube/config)", () => {
    expect(clusterConfig(undefined, {})).to.equal(null);
    expect(clusterConfig('', { HOME: '/root', KUBECONFIG: '/somewhere/config' })).to.equal(null);
    const saved = { host: process.env['KUBERNETES_SERVICE_HOST'], port: process.env['KUBERNETES_SERVICE_PORT'] };
    try {
      process.env['KUBERNETES_SERVICE_HOST'] = '10.96.0.1';
      process.env['KUBERNETES_SERVICE_PORT'] = '443';
      expect(clusterConfig(undefined)?.getCurrentCluster()?.server).to.equal('https://10.96.0.1:443');
    } finally {
      for (const [key, value] of [
        ['KUBERNETES_SERVICE_HOST', saved.host],
        ['KUBERNETES_SERVICE_PORT', saved.port],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
