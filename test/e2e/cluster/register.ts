/**
 * Puts the adapter into the loopback cluster the way the shipped manifests do, with the two
 * changes a process on 127.0.0.1 needs: the Service becomes `type: ExternalName` → localhost
 * (Endpoints may not hold loopback addresses, and there is no kube-proxy), and the APIService's
 * `service.port` is the adapter's real port.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { binary } from './binaries.js';
import { kubectlOk } from './kubectl.js';
import { waitFor } from './proc.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const ADAPTER_NAMESPACE = 'deepscaler';
export const ADAPTER_SERVICE = 'deepscaler-adapter';
export const ADAPTER_SERVICE_ACCOUNT = 'deepscaler-adapter';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** `kubectl kustomize <dir>` with the real kubectl 1.20 (its embedded kustomize v2.0.3), parsed. */
export function kustomize(dir: string): KubeObject[] {
  let out: string;
  try {
    out = execFileSync(binary('kubectl'), ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`e2e: kubectl kustomize ${dir} failed: ${err.stderr ?? err.message}`, { cause: e });
  }
  return parseAllDocuments(out)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

export function toYaml(objects: readonly object[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/**
 * The adapter's identity and permissions exactly as shipped (Namespace, ServiceAccount, every
 * RBAC object, the config map): the test then proves these are sufficient.
 */
export async function applyIdentityFromManifests(adminKubeconfig: string): Promise<KubeObject[]> {
  const kinds = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
  const objs = kustomize(join(REPO_ROOT, 'manifests')).filter((o) => kinds.has(o.kind));
  // Namespace first: the namespaced objects need it.
  objs.sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
  await kubectlOk(adminKubeconfig, ['apply', '-f', '-'], toYaml(objs));
  return objs;
}

/**
 * The ServiceAccount's token: v1.20's token controller writes it into a Secret shortly after the
 * ServiceAccount appears.
 */
export async function serviceAccountToken(adminKubeconfig: string, namespace: string, name: string): Promise<string> {
  return waitFor(
    `token Secret of ServiceAccount ${namespace}/${name}`,
    async () => {
      const secretName = (await kubectlOk(adminKubeconfig, ['-n', namespace, 'get', 'serviceaccount', name, '-o', 'jsonpath={.secrets[0].name}'])).trim();
      if (secretName === '') return undefined;
      const b64 = (await kubectlOk(adminKubeconfig, ['-n', namespace, 'get', 'secret', secretName, '-o', 'jsonpath={.data.token}'])).trim();
      return b64 === '' ? undefined : Buffer.from(b64, 'base64').toString('utf8');
    },
    60_000,
  );
}

/**
 * Service (ExternalName → localhost) and the shipped APIService as it is (no caBundle: the adapter
 * fills it in) with the adapter's real port.
 */
export async function registerAdapter(adminKubeconfig: string, adapterPort: number): Promise<void> {
  const objs = kustomize(join(REPO_ROOT, 'manifests'));
  const apiService = objs.find((o) => o.kind === 'APIService');
  if (apiService === undefined) throw new Error('e2e: manifests/ has no APIService');
  const spec = apiService['spec'] as { service: { name: string; namespace: string; port: number }; caBundle?: string };
  if (spec.caBundle !== undefined) throw new Error('e2e: the shipped APIService sets a caBundle; re-applying it would clear the one the adapter keeps');
  spec.service.port = adapterPort;
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: spec.service.name, namespace: spec.service.namespace },
    spec: { type: 'ExternalName', externalName: 'localhost' },
  };
  await kubectlOk(adminKubeconfig, ['apply', '-f', '-'], toYaml([service, apiService]));
}

/** Waits until the aggregator's availability probe passes (Available=True). */
export async function waitApiServiceAvailable(adminKubeconfig: string, timeoutMs = 60_000): Promise<void> {
  let last = '';
  await waitFor(
    'APIService v1beta1.external.metrics.k8s.io Available',
    async () => {
      const out = await kubectlOk(adminKubeconfig, ['get', 'apiservice', 'v1beta1.external.metrics.k8s.io', '-o', 'json']);
      const obj = JSON.parse(out) as { status?: { conditions?: { type: string; status: string; message?: string }[] } };
      const c = obj.status?.conditions?.find((x) => x.type === 'Available');
      last = c?.message ?? '';
      if (c?.status === 'True') return true;
      throw new Error(`Available=${c?.status ?? 'unknown'}: ${last}`);
    },
    timeoutMs,
  );
}
