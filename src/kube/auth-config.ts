/**
 * Authentication settings from ConfigMap kube-system/extension-apiserver-authentication, the way
 * every extension API server reads them, watched so that a rotated CA needs no restart.
 */
import { CoreV1Api, Watch, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { type AuthenticationSettings, type AuthenticationSource, buildAuthenticationSettings } from '../auth/index.js';
import type { Logger } from '../telemetry/index.js';

export const AUTH_CONFIGMAP_NAMESPACE = 'kube-system';
export const AUTH_CONFIGMAP_NAME = 'extension-apiserver-authentication';
const SOURCE = `configmap ${AUTH_CONFIGMAP_NAMESPACE}/${AUTH_CONFIGMAP_NAME}`;

function jsonList(data: Record<string, string>, key: string): string[] {
  const raw = data[key];
  if (raw === undefined || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${SOURCE}: key ${key} is not a JSON list: ${raw}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) throw new Error(`${SOURCE}: key ${key} must be a JSON list of strings`);
  return parsed;
}

/** Settings from the ConfigMap's data; throws naming the key that is wrong. */
export function settingsFromConfigMap(configMap: V1ConfigMap): AuthenticationSettings {
  const data = configMap.data ?? {};
  const pem = (key: string): { pem: string; source: string } | undefined => (data[key] ? { pem: data[key], source: `${SOURCE} key ${key}` } : undefined);
  const clientCA = pem('client-ca-file');
  const requestHeaderCA = pem('requestheader-client-ca-file');
  return buildAuthenticationSettings({
    ...(clientCA ? { clientCA } : {}),
    ...(requestHeaderCA ? { requestHeaderCA } : {}),
    allowedNames: jsonList(data, 'requestheader-allowed-names'),
    usernameHeaders: jsonList(data, 'requestheader-username-headers'),
    groupHeaders: jsonList(data, 'requestheader-group-headers'),
    extraHeaderPrefixes: jsonList(data, 'requestheader-extra-headers-prefix'),
  });
}

export interface WatchOptions {
  /** Pause before re-watching after the watch ends or fails. */
  readonly retryMs?: number;
}

/**
 * Reads the ConfigMap (fails if it cannot: without it no request could be authenticated) and keeps
 * watching it. A broken update is logged and ignored: the previous settings stay in force.
 */
export async function watchAuthenticationConfigMap(kubeConfig: KubeConfig, logger: Logger, options: WatchOptions = {}): Promise<AuthenticationSource> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const first = await core.readNamespacedConfigMap({ name: AUTH_CONFIGMAP_NAME, namespace: AUTH_CONFIGMAP_NAMESPACE }).catch((err: unknown) => {
    throw new Error(`cannot read ${SOURCE} (the server needs RBAC Role extension-apiserver-authentication-reader): ${(err as Error).message}`, { cause: err });
  });
  let settings = settingsFromConfigMap(first);
  let resourceVersion = first.metadata?.resourceVersion;
  const listeners: Array<(s: AuthenticationSettings) => void> = [];
  let closed = false;
  let abort: AbortController | null = null;
  let retry: NodeJS.Timeout | null = null;

  const apply = (configMap: V1ConfigMap): void => {
    resourceVersion = configMap.metadata?.resourceVersion ?? resourceVersion;
    try {
      settings = settingsFromConfigMap(configMap);
    } catch (err) {
      logger.error('authentication settings not reloaded, keeping the previous ones', { error: (err as Error).message });
      return;
    }
    logger.info('authentication settings reloaded', { source: SOURCE, resourceVersion: resourceVersion ?? null });
    for (const listener of listeners) listener(settings);
  };

  const watch = new Watch(kubeConfig);
  const start = (): void => {
    if (closed) return;
    watch
      .watch(
        `/api/v1/namespaces/${AUTH_CONFIGMAP_NAMESPACE}/configmaps`,
        { fieldSelector: `metadata.name=${AUTH_CONFIGMAP_NAME}`, ...(resourceVersion ? { resourceVersion } : {}), allowWatchBookmarks: false },
        (phase, obj: V1ConfigMap) => {
          if (phase === 'ADDED' || phase === 'MODIFIED') apply(obj);
        },
        (err: unknown) => {
          if (closed) return;
          if (err) logger.warn('watch of authentication settings ended, restarting', { error: (err as Error).message ?? String(err) });
          // A stale resourceVersion (410 Gone) is fixed by starting over from the latest.
          resourceVersion = undefined;
          retry = setTimeout(start, options.retryMs ?? 1000);
        },
      )
      .then(
        (controller) => {
          abort = controller;
          if (closed) controller.abort();
        },
        (err: unknown) => {
          if (closed) return;
          logger.warn('cannot watch authentication settings, retrying', { error: (err as Error).message });
          retry = setTimeout(start, options.retryMs ?? 1000);
        },
      );
  };
  start();

  return {
    current: () => settings,
    onChange: (listener) => listeners.push(listener),
    close: () => {
      closed = true;
      if (retry) clearTimeout(retry);
      abort?.abort();
    },
  };
}
