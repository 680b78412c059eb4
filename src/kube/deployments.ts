/**
 * Reading Deployments for the planner: each service's CPU request per pod (capacity = request ×
 * target utilization) and its current replica counts. Read-only; the HPA owns `spec.replicas`.
 *
 * Errors say what to do: a 403 names the verb, resource and namespace the adapter's ServiceAccount
 * is missing (and where the RBAC lives), a 404 names the Deployment, a connection failure names the
 * API server. Callers get plain typed data, never client-node objects.
 */
import * as k8s from '@kubernetes/client-node';

export interface DeploymentInfo {
  readonly namespace: string;
  readonly name: string;
  /** metadata.uid (Events refer to it). */
  readonly uid: string;
  /**
   * Sum of the regular containers' CPU requests of one pod, in cores (init containers excluded:
   * the HPA computes utilization over the same set). null when no container declares a request.
   */
  readonly cpuRequestCores: number | null;
  /** `spec.replicas` (what the HPA last set; 1 when omitted, as the API server defaults it). */
  readonly specReplicas: number;
  /** `status.replicas`: pods the Deployment has now (the HPA's "current replicas"). */
  readonly currentReplicas: number;
  readonly readyReplicas: number;
}

/** The two calls this module needs; AppsV1Api satisfies it, tests pass a double. */
export type DeploymentsApi = Pick<k8s.AppsV1Api, 'readNamespacedDeployment' | 'listNamespacedDeployment'>;

/** Thrown for every failed read; `status` is the HTTP code (0 when the server was not reached). */
export class KubeAccessError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly verb: string,
    readonly resource: string,
    readonly namespace: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KubeAccessError';
  }
}

/** The API client for the cluster `clusterConfig` (./cluster.ts) chose. */
export function deploymentsApi(kubeConfig: k8s.KubeConfig): DeploymentsApi {
  return kubeConfig.makeApiClient(k8s.AppsV1Api);
}

export async function readDeployment(api: DeploymentsApi, namespace: string, name: string): Promise<DeploymentInfo> {
  try {
    const d = await api.readNamespacedDeployment({ name, namespace });
    return toInfo(d, namespace);
  } catch (e) {
    throw accessError(e, 'get', namespace, name);
  }
}

/** Every Deployment in a namespace (optionally filtered by a label selector), keyed by name: one call per application. */
export async function listDeployments(api: DeploymentsApi, namespace: string, labelSelector?: string): Promise<Map<string, DeploymentInfo>> {
  let list: k8s.V1DeploymentList;
  try {
    list = await api.listNamespacedDeployment(labelSelector !== undefined ? { namespace, labelSelector } : { namespace });
  } catch (e) {
    throw accessError(e, 'list', namespace);
  }
  const out = new Map<string, DeploymentInfo>();
  for (const d of list.items) {
    const info = toInfo(d, namespace);
    out.set(info.name, info);
  }
  return out;
}

function toInfo(d: k8s.V1Deployment, namespace: string): DeploymentInfo {
  const name = d.metadata?.name ?? '';
  let total = 0;
  let anyRequestDeclared = false;
  for (const c of d.spec?.template.spec?.containers ?? []) {
    const q = c.resources?.requests?.['cpu'];
    if (q === undefined) continue;
    const cores = parseCpuQuantity(q);
    if (cores === null) {
      throw new KubeAccessError(
        `deployment ${namespace}/${name}: container "${c.name}" has an unreadable CPU request "${String(q)}"`,
        200,
        'get',
        'deployments',
        namespace,
      );
    }
    total += cores;
    anyRequestDeclared = true;
  }
  return {
    namespace: d.metadata?.namespace ?? namespace,
    name,
    uid: d.metadata?.uid ?? '',
    cpuRequestCores: anyRequestDeclared ? total : null,
    specReplicas: d.spec?.replicas ?? 1,
    currentReplicas: d.status?.replicas ?? 0,
    readyReplicas: d.status?.readyReplicas ?? 0,
  };
}

const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes CPU quantity ("250m", "1", "0.5", "2k", "1e3") in cores; null when malformed. */
export function parseCpuQuantity(q: string | number): number | null {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? q : null;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(q.trim());
  if (m === null) return null;
  const base = Number(m[1]);
  const value = m[2] !== undefined ? Number(m[1] + m[2]) : base * (SUFFIX[m[3] ?? ''] ?? NaN);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/** The `message` of a Kubernetes Status body, if the error carries one. */
function statusMessage(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const s = JSON.parse(body) as { message?: unknown };
    return typeof s.message === 'string' ? s.message : undefined;
  } catch {
    return body.trim() === '' ? undefined : body.trim().slice(0, 300);
  }
}

function accessError(e: unknown, verb: 'get' | 'list', namespace: string, name?: string): KubeAccessError {
  const what = name !== undefined ? `deployment ${namespace}/${name}` : `deployments in namespace ${namespace}`;
  if (e instanceof k8s.ApiException) {
    const code = e.code;
    const detail = statusMessage(e.body);
    const suffix = detail !== undefined ? ` (API server said: ${detail})` : '';
    if (code === 403) {
      return new KubeAccessError(
        `cannot ${verb} ${what}: forbidden — the adapter's identity lacks "${verb}" on "deployments" (apiGroup "apps") in namespace "${namespace}"; ` +
          `grant it with a Role/ClusterRole (see manifests/rbac.yaml)${suffix}`,
        code,
        verb,
        'deployments.apps',
        namespace,
        { cause: e },
      );
    }
    if (code === 401) {
      return new KubeAccessError(
        `cannot ${verb} ${what}: the API server rejected the adapter's credentials (expired token or wrong kubeconfig)${suffix}`,
        code,
        verb,
        'deployments.apps',
        namespace,
        { cause: e },
      );
    }
    if (code === 404) {
      return new KubeAccessError(
        `${what} not found: check the service → Deployment mapping in the configuration${suffix}`,
        code,
        verb,
        'deployments.apps',
        namespace,
        { cause: e },
      );
    }
    return new KubeAccessError(`cannot ${verb} ${what}: API server answered ${code}${suffix}`, code, verb, 'deployments.apps', namespace, { cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new KubeAccessError(`cannot ${verb} ${what}: Kubernetes API unreachable (${msg})`, 0, verb, 'deployments.apps', namespace, { cause: e });
}
