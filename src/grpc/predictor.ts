/**
 * deepscaler.predictor.v1.Predictor: the snapshot as plain messages — applications, forecasts per
 * horizon step, desired replicas with reasons, the learned graph — and a watch of publishes.
 */
import type * as grpc from '@grpc/grpc-js';
import { forecastValue, type DemandFeature } from '../forecast/index.js';
import type { Reason } from '../planning/index.js';
import { type AppSnapshot, type SnapshotStore, assertNotWithheld, findApp, servicesOf } from '../snapshot/index.js';
import type { Logger } from '../telemetry/index.js';
import { type OpenStreams, toStatus, unaryHandler } from './calls.js';
import type { ApplicationMessage, ApplicationRequest, ListApplicationsResponse, PredictionMessage, ReasonMessage, ServiceForecastMessage } from './messages.js';

/** NaN means "unknown" in the snapshot; on the wire an unknown value is an absent optional field. */
function known(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}

export function applicationMessage(app: AppSnapshot): ApplicationMessage {
  return {
    name: app.app,
    namespace: app.namespace,
    services: [...servicesOf(app)],
    forecaster: app.state.forecaster,
    modelLoaded: app.state.modelUsed,
    stale: app.state.stale,
    fallback: app.state.fallback ?? '',
    unavailableReason: app.unavailableReason ?? '',
    lastError: app.state.lastError ?? '',
    computedAtMs: app.computedAt,
    dataTimestampMs: app.dataTimestamp,
    stepSeconds: app.stepSeconds,
  };
}

function forecastMessages(app: AppSnapshot): ServiceForecastMessage[] {
  const fc = app.forecast;
  if (!fc) return [];
  const targetIndex = (feature: DemandFeature): number => fc.targets.indexOf(feature);
  const cpu = targetIndex('cpu_cores');
  const req = targetIndex('req');
  const valueAt = (h: number, s: number, k: number): number | undefined => (k < 0 ? undefined : known(forecastValue(fc, h, s, k)));
  return fc.services.map((service, s) => ({
    service,
    steps: Array.from({ length: fc.horizon }, (_, h) => ({
      step: h,
      atMs: fc.issuedAt + (h + 1) * fc.stepSeconds * 1000,
      cpuCores: valueAt(h, s, cpu),
      requestRate: valueAt(h, s, req),
    })),
  }));
}

function reasonMessage(reason: Reason): ReasonMessage {
  const { risk, ...rest } = reason;
  return { ...rest, margin: reason.correction - 1, ...(risk === null ? {} : { risk }) };
}

/** A withheld application is described by its state alone: no values leave the process. */
export function predictionMessage(app: AppSnapshot, snapshotVersion: number): PredictionMessage {
  const withheld = app.unavailableReason !== null;
  return {
    application: applicationMessage(app),
    snapshotVersion,
    forecasts: withheld ? [] : forecastMessages(app),
    recommendations: withheld
      ? []
      : app.recommendations.map((r) => ({
          service: r.service,
          desiredReplicas: r.desiredReplicas,
          reason: reasonMessage(r.reason),
          peakCpuCores: known(r.peakCpuCores),
          peakRequestRate: known(r.peakReq),
        })),
    graph: withheld || !app.graph ? null : { services: [...app.graph.services], adjacency: Array.from(app.graph.adjacency) },
  };
}

export function predictorHandlers(store: SnapshotStore, streams: OpenStreams, logger: Logger): grpc.UntypedServiceImplementation {
  const ListApplications = unaryHandler<unknown, ListApplicationsResponse>(logger, 'ListApplications', () => ({
    applications: [...store.current().apps.values()].map(applicationMessage),
  }));

  const GetPrediction = unaryHandler<ApplicationRequest, PredictionMessage>(logger, 'GetPrediction', (request) => {
    const app = findApp(store, request.application);
    assertNotWithheld(app);
    return predictionMessage(app, store.current().version);
  });

  const WatchPredictions: grpc.handleServerStreamingCall<ApplicationRequest, PredictionMessage> = (call) => {
    const only = call.request.application;
    if (only !== '') {
      try {
        findApp(store, only);
      } catch (err) {
        call.emit('error', toStatus(err, logger, 'WatchPredictions'));
        return;
      }
    }
    // Snapshot entries are replaced, never mutated: a new object is a new publish of that application.
    const sent = new Set<AppSnapshot>();
    streams.follow(
      call,
      (notify) => store.subscribe(notify),
      () => {
        const snapshot = store.current();
        const apps = only === '' ? [...snapshot.apps.values()] : [snapshot.apps.get(only)!];
        const fresh = apps.filter((app) => !sent.has(app));
        sent.clear();
        for (const app of apps) sent.add(app);
        return fresh.map((app) => predictionMessage(app, snapshot.version));
      },
    );
  };

  return { ListApplications, GetPrediction, WatchPredictions };
}
