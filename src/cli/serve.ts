/**
 * `deepscaler serve`: the serving loop for every configured application plus the external metrics
 * API (and, when asked, the gRPC KEDA scaler). Without a cluster it is the default run: Online
 * Boutique replayed from shipped data, a self-signed certificate, a local admin client
 * certificate, and ready-to-paste curl / kubectl lines on stdout.
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadServeConfig, type ConfigOverrides, type ServeConfig, lookAheadBaseSeconds } from '../config/index.js';
import { expectNumber, optionalNumber } from '../core/index.js';
import { addGrpcFlags, resolveGrpcFlags, type GrpcFlags, startGrpcServer } from '../grpc/index.js';
import { clusterConfig, deploymentsApi, eventsApi } from '../kube/index.js';
import { DecisionJournal, ReplicaEvents, ScorecardMetrics, registerRetrainMetrics } from '../explain/index.js';
import { readDecisionBeside } from '../model/index.js';
import { ServingLoop } from '../loop/index.js';
import {
  addApiServerFlags,
  localKubeconfig,
  resolveApiServerFlags,
  type ApiServerFlags,
  type LocalClientFiles,
  startApiServer,
  DESIRED_REPLICAS_METRIC,
  SnapshotMetricsProvider,
} from '../serving/index.js';
import { SnapshotStore } from '../snapshot/index.js';
import { log, registry } from '../telemetry/index.js';
import { writeFileAtomic } from '../util/index.js';

export const DEFAULT_CONFIG = fileURLToPath(new URL('../../../data/default-config.yaml', import.meta.url));

interface ServeFlags extends ApiServerFlags, GrpcFlags {
  readonly config: string;
  readonly stepInterval?: string;
  readonly fallback?: string;
  readonly maxAge?: string;
  readonly model?: string;
  /** commander's --no-events. */
  readonly events: boolean;
  readonly eventInterval: string;
  readonly shutdownDelay: string;
}

function overridesFrom(flags: ServeFlags): ConfigOverrides {
  return {
    ...(flags.stepInterval !== undefined ? { stepIntervalSeconds: expectNumber(flags.stepInterval, '--step-interval', { min: 0.05 }) } : {}),
    ...(flags.fallback !== undefined ? { fallbackPolicy: flags.fallback } : {}),
    ...(flags.maxAge !== undefined ? { maxAgeSeconds: optionalNumber(flags.maxAge, '--max-age', { min: 1 })! } : {}),
    ...(flags.model !== undefined ? { model: flags.model } : {}),
  };
}

/** Lines a person can paste to see live predicted replicas: curl with the local admin certificate, and kubectl. */
export function tryItLines(url: string, config: ServeConfig, client: LocalClientFiles | null, kubeconfigPath: string | null, allowAll: boolean): string[] {
  const app = config.applications[0]!;
  const service = app.services?.[0];
  const path = `/apis/external.metrics.k8s.io/v1beta1/namespaces/${app.namespace}/${DESIRED_REPLICAS_METRIC}`;
  const selector = service === undefined ? '' : `?labelSelector=service%3D${service}`;
  const auth = client !== null && !allowAll ? ` --cert ${client.certFile} --key ${client.keyFile}` : '';
  const lines = [`Desired replicas of every ${app.name} service (refreshed every step):`, `  curl -sk${auth} ${url}${path}`];
  if (service !== undefined)
    lines.push(`Only ${service} (what an HPA with selector service=${service} reads):`, `  curl -sk${auth} '${url}${path}${selector}'`);
  if (kubeconfigPath !== null) lines.push('With kubectl:', `  kubectl --kubeconfig ${kubeconfigPath} get --raw '${path}${selector}'`);
  if (kubeconfigPath !== null) {
    lines.push(
      'Why each count (reason, forecast vs actual, fallbacks, scorecard):',
      `  node dist/src/cli/main.js explain ${app.namespace}${service === undefined ? '' : ` ${service}`} --kubeconfig ${kubeconfigPath}`,
    );
  }
  lines.push(
    'Adapter state for Grafana/Prometheus:',
    `  curl -sk${auth} ${url}/metrics | grep -E '^deepscaler_(desired_replicas|fallback_active|model_loaded)'`,
  );
  return lines;
}

export async function runServe(given: ServeFlags): Promise<void> {
  const logger = log.child({ component: 'serve' });
  // Absolute, so the printed curl lines and the kubeconfig work from any directory.
  const flags: ServeFlags = { ...given, certDir: resolve(given.certDir) };
  const config = loadServeConfig(flags.config, overridesFrom(flags));
  const kubeConfig = clusterConfig(flags.kubeconfig);
  const needsCluster = config.applications.some((a) => a.capacity.fromDeployments);
  const store = new SnapshotStore();
  const loop = await ServingLoop.create(config, {
    store,
    registry,
    logger: log,
    deployments: needsCluster && kubeConfig !== null ? deploymentsApi(kubeConfig) : null,
  });
  const shutdownDelaySeconds = expectNumber(flags.shutdownDelay, '--shutdown-delay', { min: 0, max: 300 });
  // The authentication configuration is loaded here (files or the cluster's ConfigMap), before the server listens.
  const api = await resolveApiServerFlags(flags, logger);
  const provider = new SnapshotMetricsProvider(store, loop.namespaces());
  // The journal follows the store from the first publish on: explanations, the scorecard, Events.
  const apps = loop.applications();
  const journal = new DecisionJournal(
    store,
    apps.map(({ config: app, capacities }) => ({
      name: app.name,
      namespace: app.namespace,
      stepSeconds: app.stepSeconds,
      actuationSeconds: lookAheadBaseSeconds(app),
      capacities,
    })),
    {
      lastRetrain: (name) => {
        const model = apps.find((a) => a.config.name === name)?.config.model ?? null;
        const decision = model === null ? null : readDecisionBeside(model);
        return decision === null ? null : { at: decision.at, promoted: decision.promoted, reason: decision.reason };
      },
    },
  );
  registerRetrainMetrics(
    registry,
    apps.flatMap(({ config: { name, model } }) => (model === null ? [] : [{ app: name, read: () => readDecisionBeside(model) }])),
  );
  const scorecard = new ScorecardMetrics(
    journal,
    registry,
    apps.map(({ config: app }) => ({ namespace: app.namespace, app: app.name, preview: app.preview })),
  );
  const eventIntervalSeconds = expectNumber(flags.eventInterval, '--event-interval', { min: 1 });
  const events =
    flags.events && kubeConfig !== null && needsCluster
      ? new ReplicaEvents(journal, {
          events: eventsApi(kubeConfig),
          deployments: deploymentsApi(kubeConfig),
          minIntervalMs: eventIntervalSeconds * 1000,
          logger: logger.child({ component: 'events' }),
          registry,
        })
      : null;
  let firstSnapshots = false;
  // Listening before the first step, so liveness answers while the model loads; ready only once
  // every application has published (a 503 before that would send the HPA nothing useful).
  const server = await startApiServer({
    readiness: () => (firstSnapshots ? null : 'waiting for the first snapshot of every application'),
    host: api.host,
    port: api.port,
    provider,
    explainer: journal,
    tls: api.tls,
    authentication: api.authentication,
    tokenReviewer: api.tokenReviewer,
    accessReviewer: api.accessReviewer,
    insecureAllowAll: api.insecureAllowAll,
    reviewCacheTtlMs: api.reviewCacheTtlMs,
    logger: log,
  });
  await loop.start();
  firstSnapshots = true;
  const grpc = resolveGrpcFlags(
    api.grpcClientCaFile !== null && flags.grpcClientCaFile === undefined ? { ...flags, grpcClientCaFile: api.grpcClientCaFile } : flags,
    api.host,
    api.tls,
    api.clientCa,
  );
  const grpcServer = grpc === null ? null : await startGrpcServer({ ...grpc, snapshots: store, logger: log, registry });

  let kubeconfigPath: string | null = null;
  if (api.localClient !== null) {
    kubeconfigPath = join(dirname(flags.certDir), 'kubeconfig');
    mkdirSync(dirname(kubeconfigPath), { recursive: true });
    writeFileAtomic(kubeconfigPath, localKubeconfig(server.url, api.localClient));
  }
  const shownUrl = server.url.replace('0.0.0.0', '127.0.0.1');
  process.stdout.write(
    [
      '',
      `deepscaler is serving ${config.applications.map((a) => `${a.name} (namespace ${a.namespace})`).join(', ')} at ${shownUrl}`,
      ...(api.insecureAllowAll ? ['!!! --insecure-allow-all: AUTHORIZATION IS OFF, anyone may read every metric. Local development only. !!!'] : []),
      ...tryItLines(shownUrl, config, api.localClient, kubeconfigPath, api.insecureAllowAll),
      ...(grpc === null || grpcServer === null
        ? []
        : [
            `KEDA external scaler and predictor: gRPC (${grpc.tls === 'plaintext' ? 'plaintext' : 'TLS'}) on ${grpc.host}:${grpcServer.port}, see docs/grpc.md`,
          ]),
      'Stop with Ctrl-C.',
      '',
    ].join('\n') + '\n',
  );

  await new Promise<void>((resolveStop) => {
    const shutdown = (signal: string): void => {
      logger.info('shutting down', { signal, shutdownDelaySeconds });
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      // A second signal means "now".
      const now = (): void => {
        logger.warn('second signal: exiting without draining');
        process.exit(1);
      };
      process.once('SIGINT', now);
      process.once('SIGTERM', now);
      resolveStop();
    };
    const onInt = (): void => shutdown('SIGINT');
    const onTerm = (): void => shutdown('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  // Unready first and keep serving while the endpoint is removed (kube-proxy and the aggregator
  // still send here for a few seconds), then stop listening and let requests in flight finish.
  server.drain();
  if (shutdownDelaySeconds > 0) await new Promise((r) => setTimeout(r, shutdownDelaySeconds * 1000));
  await Promise.all([grpcServer?.close(), server.close()]);
  await loop.stop();
  events?.close();
  scorecard.close();
  journal.close();
  api.close();
  logger.info('stopped');
}

export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description(
      'Run the serving loop (source → history → forecast → plan → snapshot) for every configured application and serve desired replicas ' +
        'through the external metrics API. Without a cluster: the default run (Online Boutique replayed from shipped data).',
    )
    .option('--config <path>', 'applications to serve (YAML; see docs/serving.md); env DEEPSCALER_CONFIG', process.env['DEEPSCALER_CONFIG'] ?? DEFAULT_CONFIG)
    .option(
      '--step-interval <seconds>',
      'wall-clock seconds per replayed step, for every replay application; env DEEPSCALER_STEP_INTERVAL',
      process.env['DEEPSCALER_STEP_INTERVAL'],
    )
    .option('--fallback <policy>', 'on stale data: last-value, reactive or unavailable (503); env DEEPSCALER_FALLBACK', process.env['DEEPSCALER_FALLBACK'])
    .option('--max-age <seconds>', 'data older than this is stale; env DEEPSCALER_MAX_AGE', process.env['DEEPSCALER_MAX_AGE'])
    .option('--model <dir>', 'model folder (only with a single application); env DEEPSCALER_MODEL', process.env['DEEPSCALER_MODEL'])
    .option(
      '--no-events',
      'do not write a Kubernetes Event on a Deployment when its desired count changes (written in a cluster with capacity.fromDeployments)',
    )
    .option(
      '--event-interval <seconds>',
      'at most one replica-change Event per Deployment this often; env DEEPSCALER_EVENT_INTERVAL',
      process.env['DEEPSCALER_EVENT_INTERVAL'] ?? '60',
    )
    .option(
      '--shutdown-delay <seconds>',
      'on SIGTERM, seconds to keep serving while /readyz is unready, so the endpoint is removed before the listener closes (default 5 in a pod, 0 otherwise)',
      process.env['KUBERNETES_SERVICE_HOST'] ? '5' : '0',
    );
  addGrpcFlags(addApiServerFlags(command)).action(async (flags: ServeFlags) => {
    await runServe(flags);
    // Everything is closed; do not wait for stray timers or sockets (a hung apiserver call) to end.
    process.exit(0);
  });
}
