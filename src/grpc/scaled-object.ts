/**
 * Which prediction a KEDA ScaledObject asks for. KEDA passes the trigger's metadata as
 * ScaledObjectRef.scalerMetadata (together with its own keys such as scalerAddress, which we ignore):
 *   service             required: the service (Deployment) whose desired replicas to serve
 *   application         optional: the application; when absent, the one application served in the
 *                       ScaledObject's namespace
 *   activationReplicas  optional, whole number ≥ 0 (default 0): active while desired > this
 */
import * as grpc from '@grpc/grpc-js';
import { type AppSnapshot, type SnapshotStore, assertServable, findApp, listOrNone, noPredictionYet, servicesOf } from '../snapshot/index.js';
import type { Recommendation } from '../planning/index.js';
import { GrpcStatusError } from './calls.js';
import type { ScaledObjectRef } from './messages.js';
import { quoteInput } from '../util/index.js';

const METADATA_KEYS = { service: 'service', application: 'application', activationReplicas: 'activationReplicas' } as const;

export interface ScalerTarget {
  readonly app: AppSnapshot;
  readonly recommendation: Recommendation;
  readonly activationReplicas: number;
  /** The one metric name GetMetricSpec announces for this target. */
  readonly metricName: string;
}

function describeRef(ref: ScaledObjectRef): string {
  const cut = (text: string): string => (text.length <= 253 ? text : `${text.slice(0, 253)}…`);
  return `ScaledObject ${cut(ref.namespace) || '(no namespace)'}/${cut(ref.name) || '(no name)'}`;
}

function invalid(ref: ScaledObjectRef, message: string): GrpcStatusError {
  return new GrpcStatusError(grpc.status.INVALID_ARGUMENT, `${describeRef(ref)}: ${message}`);
}

function metadataValue(ref: ScaledObjectRef, key: string): string | undefined {
  const value = ref.scalerMetadata[key]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Replicas are int32 in Kubernetes; a larger "whole number" (or 400 digits, which is Infinity) is an error, not "never active". */
const MAX_REPLICAS = 2 ** 31 - 1;

function parseActivationReplicas(ref: ScaledObjectRef): number {
  const raw = metadataValue(ref, METADATA_KEYS.activationReplicas);
  if (raw === undefined) return 0;
  const value = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value <= MAX_REPLICAS)) {
    throw invalid(
      ref,
      `trigger metadata ${METADATA_KEYS.activationReplicas} must be a whole number from 0 to ${MAX_REPLICAS} (replicas), got ${quoteInput(raw)}`,
    );
  }
  return value;
}

function resolveApp(ref: ScaledObjectRef, store: SnapshotStore): AppSnapshot {
  const named = metadataValue(ref, METADATA_KEYS.application);
  if (named !== undefined) return findApp(store, named);
  const setIt = `set trigger metadata ${METADATA_KEYS.application} to one of: ${listOrNone([...store.current().apps.keys()])}`;
  if (ref.namespace === '') throw invalid(ref, `no ${METADATA_KEYS.application} in the trigger metadata and no namespace to find it by; ${setIt}`);
  const candidates = store.appsInNamespace(ref.namespace);
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    throw new GrpcStatusError(grpc.status.NOT_FOUND, `${describeRef(ref)}: no application is served in namespace "${ref.namespace}"; ${setIt}`);
  }
  throw invalid(
    ref,
    `namespace "${ref.namespace}" serves several applications (${listOrNone(candidates.map((a) => a.app))}); set trigger metadata ${METADATA_KEYS.application} to pick one`,
  );
}

/** Reads the current snapshot; throws a GrpcStatusError or SnapshotRefusal that tells the ScaledObject's author what to fix. */
export function resolveScalerTarget(ref: ScaledObjectRef, store: SnapshotStore): ScalerTarget {
  const service = metadataValue(ref, METADATA_KEYS.service);
  if (service === undefined) {
    throw invalid(ref, `trigger metadata ${METADATA_KEYS.service} is required: the name of the service whose predicted replicas to scale on`);
  }
  const activationReplicas = parseActivationReplicas(ref);
  const app = resolveApp(ref, store);
  const known = servicesOf(app);
  if (known.length > 0 && !known.includes(service)) {
    throw new GrpcStatusError(
      grpc.status.NOT_FOUND,
      `${describeRef(ref)}: application "${app.app}" has no service ${quoteInput(service)}; set trigger metadata ${METADATA_KEYS.service} to one of: ${listOrNone(known)}`,
    );
  }
  assertServable(app);
  const recommendation = app.recommendations.find((r) => r.service === service);
  if (!recommendation) throw noPredictionYet(app, service);
  return { app, recommendation, activationReplicas, metricName: `deepscaler-${app.app}-${service}` };
}

export function isActive(target: ScalerTarget): boolean {
  return target.recommendation.desiredReplicas > target.activationReplicas;
}
