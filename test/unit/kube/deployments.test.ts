import { expect } from 'chai';
import * as k8s from '@kubernetes/client-node';
import { listDeployments, parseCpuQuantity, readDeployment, KubeAccessError, type DeploymentsApi } from '../../../src/kube/deployments.js';

function deployment(name: string, cpu: readonly (string | undefined)[], replicas?: number, statusReplicas?: number): k8s.V1Deployment {
  return {
    metadata: { name, namespace: 'shop' },
    spec: {
      replicas,
      selector: {},
      template: {
        spec: {
          containers: cpu.map((c, i) => ({ name: `c${i}`, resources: c === undefined ? {} : { requests: { cpu: c } } })),
          initContainers: [{ name: 'init', resources: { requests: { cpu: '4' } } }],
        },
      },
    },
    status: { replicas: statusReplicas, readyReplicas: 1 },
  };
}

function api(impl: Partial<DeploymentsApi>): DeploymentsApi {
  return impl as DeploymentsApi;
}

const forbidden = new k8s.ApiException(
  403,
  'Unknown API Status Code!',
  JSON.stringify({
    kind: 'Status',
    message:
      'deployments.apps "frontend" is forbidden: User "system:serviceaccount:deepscaler:deepscaler-adapter" cannot get resource "deployments" in API group "apps" in the namespace "shop"',
    code: 403,
  }),
  {},
);

describe('kube/deployments', () => {
  it('sums the regular containers CPU requests per pod and ignores init containers', async () => {
    const info = await readDeployment(
      api({ readNamespacedDeployment: async () => deployment('frontend', ['250m', '0.5', undefined], 3, 2) }),
      'shop',
      'frontend',
    );
    expect(info.cpuRequestCores).to.be.closeTo(0.75, 1e-9);
    expect(info.specReplicas).to.equal(3);
    expect(info.currentReplicas).to.equal(2);
    expect(info.readyReplicas).to.equal(1);
  });

  it('reports a null CPU request when no container declares one, and defaults spec.replicas to 1', async () => {
    const info = await readDeployment(api({ readNamespacedDeployment: async () => deployment('cart', [undefined]) }), 'shop', 'cart');
    expect(info.cpuRequestCores).to.equal(null);
    expect(info.specReplicas).to.equal(1);
    expect(info.currentReplicas).to.equal(0);
  });

  it('names the missing verb, resource and namespace on a 403', async () => {
    const err = await readDeployment(api({ readNamespacedDeployment: async () => Promise.reject(forbidden) }), 'shop', 'frontend').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(KubeAccessError);
    const e = err as KubeAccessError;
    expect(e.status).to.equal(403);
    expect(e.verb).to.equal('get');
    expect(e.message).to.contain('"get" on "deployments"').and.contain('namespace "shop"').and.contain('system:serviceaccount:deepscaler:deepscaler-adapter');
  });

  it('says list (not get) when listing a namespace is forbidden', async () => {
    const err = await listDeployments(api({ listNamespacedDeployment: async () => Promise.reject(forbidden) }), 'shop').catch((e: unknown) => e);
    expect((err as KubeAccessError).verb).to.equal('list');
    expect((err as Error).message).to.contain('"list" on "deployments"');
  });

  it('names the Deployment on a 404 and the failure on an unreachable server', async () => {
    const nf = new k8s.ApiException(404, 'x', '{"message":"deployments.apps \\"nope\\" not found"}', {});
    const e404 = await readDeployment(api({ readNamespacedDeployment: async () => Promise.reject(nf) }), 'shop', 'nope').then(
      () => new Error('resolved'),
      (e: unknown) => e as Error,
    );
    expect(e404.message).to.contain('deployment shop/nope not found');
    const down = await readDeployment(
      api({ readNamespacedDeployment: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6443')) }),
      'shop',
      'a',
    ).then(
      () => new KubeAccessError('resolved', -1, '', '', ''),
      (e: unknown) => e as KubeAccessError,
    );
    expect(down.status).to.equal(0);
    expect(down.message).to.contain('unreachable').and.contain('ECONNREFUSED');
  });

  it('lists a namespace into a map keyed by Deployment name', async () => {
    const m = await listDeployments(api({ listNamespacedDeployment: async () => ({ items: [deployment('a', ['1']), deployment('b', ['100m'])] }) }), 'shop');
    expect([...m.keys()]).to.deep.equal(['a', 'b']);
    expect(m.get('b')?.cpuRequestCores).to.be.closeTo(0.1, 1e-9);
  });

  it('parses Kubernetes CPU quantities and rejects malformed ones', () => {
    expect(parseCpuQuantity('250m')).to.be.closeTo(0.25, 1e-12);
    expect(parseCpuQuantity('2')).to.equal(2);
    expect(parseCpuQuantity('1.5')).to.equal(1.5);
    expect(parseCpuQuantity('1e3')).to.equal(1000);
    expect(parseCpuQuantity('2k')).to.equal(2000);
    expect(parseCpuQuantity('abc')).to.equal(null);
    expect(parseCpuQuantity('-1')).to.equal(null);
    expect(parseCpuQuantity('')).to.equal(null);
  });
});
