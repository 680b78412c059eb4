/**
 * Writing a Kubernetes Event about a Deployment, so that `kubectl describe deployment` and
 * `kubectl get events` say why its desired count changed. Core v1 Events: what kubectl 1.20's
 * describe reads (events.k8s.io/v1 objects are the same store, but core v1 needs no MicroTime and
 * works on every supported cluster); RBAC: create on "events" in the core group (manifests/base/rbac.yaml).
 */
import { hostname } from 'node:os';
import * as k8s from '@kubernetes/client-node';

/** The call this module needs; CoreV1Api satisfies it, tests pass a double. */
export type EventsApi = Pick<k8s.CoreV1Api, 'createNamespacedEvent'>;

/** The API client for the cluster `clusterConfig` (./cluster.ts) chose. */
export function eventsApi(kubeConfig: k8s.KubeConfig): EventsApi {
  return kubeConfig.makeApiClient(k8s.CoreV1Api);
}

export const REPORTING_COMPONENT = 'deepscaler-adapter';

export interface DeploymentEvent {
  readonly namespace: string;
  readonly deployment: string;
  /** The Deployment's uid: kubectl describe matches Events by it. */
  readonly uid: string;
  /** Unique per (Deployment, change window): a second adapter replica's identical Event is a 409, dropped. */
  readonly name: string;
  readonly reason: string;
  /** At most 1024 bytes (longer is cut with an ellipsis). */
  readonly message: string;
  readonly at: Date;
}

/** Created, or already there (another adapter replica wrote the same change). */
export type EventOutcome = 'created' | 'duplicate';

const MAX_MESSAGE = 1024;

function truncate(text: string): string {
  return Buffer.byteLength(text) <= MAX_MESSAGE
    ? text
    : Buffer.from(text)
        .subarray(0, MAX_MESSAGE - 3)
        .toString()
        .replace(/\uFFFD$/, '') + '...';
}

export async function createDeploymentEvent(api: EventsApi, event: DeploymentEvent): Promise<EventOutcome> {
  const instance = process.env['POD_NAME'] ?? hostname();
  const body: k8s.CoreV1Event = {
    metadata: { name: event.name, namespace: event.namespace },
    involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: event.deployment, namespace: event.namespace, uid: event.uid },
    reason: event.reason,
    message: truncate(event.message),
    type: 'Normal',
    count: 1,
    firstTimestamp: event.at,
    lastTimestamp: event.at,
    source: { component: REPORTING_COMPONENT, host: instance },
    reportingComponent: REPORTING_COMPONENT,
    reportingInstance: instance,
  };
  try {
    await api.createNamespacedEvent({ namespace: event.namespace, body });
    return 'created';
  } catch (e) {
    if (e instanceof k8s.ApiException && e.code === 409) return 'duplicate';
    if (e instanceof k8s.ApiException && e.code === 403) {
      throw new Error(
        `cannot create events in namespace "${event.namespace}": forbidden — the adapter's identity lacks "create" on "events" (core group); see manifests/base/rbac.yaml`,
        { cause: e },
      );
    }
    const detail =
      e instanceof k8s.ApiException ? `API server answered ${e.code}` : `Kubernetes API unreachable (${e instanceof Error ? e.message : String(e)})`;
    throw new Error(`cannot create an event for deployment ${event.namespace}/${event.deployment}: ${detail}`, { cause: e });
  }
}
