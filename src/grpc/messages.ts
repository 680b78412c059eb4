/**
 * The wire messages as @grpc/proto-loader decodes and encodes them with PROTO_LOADER_OPTIONS
 * (camelCase names, int64 as number, absent scalars as defaults). Mirrors proto/*.proto.
 */

// externalscaler.proto (KEDA's contract)
export interface ScaledObjectRef {
  readonly name: string;
  readonly namespace: string;
  readonly scalerMetadata: Readonly<Record<string, string>>;
}
export interface IsActiveResponse {
  readonly result: boolean;
}
export interface MetricSpec {
  readonly metricName: string;
  readonly targetSize: number;
  readonly targetSizeFloat: number;
}
export interface GetMetricSpecResponse {
  readonly metricSpecs: readonly MetricSpec[];
}
export interface GetMetricsRequest {
  readonly scaledObjectRef: ScaledObjectRef | null;
  readonly metricName: string;
}
export interface MetricValue {
  readonly metricName: string;
  readonly metricValue: number;
  readonly metricValueFloat: number;
}
export interface GetMetricsResponse {
  readonly metricValues: readonly MetricValue[];
}

// predictor.proto
export interface ApplicationMessage {
  readonly name: string;
  readonly namespace: string;
  readonly services: readonly string[];
  readonly forecaster: string;
  readonly modelLoaded: boolean;
  readonly stale: boolean;
  readonly fallback: string;
  readonly unavailableReason: string;
  readonly lastError: string;
  readonly computedAtMs: number;
  readonly dataTimestampMs: number;
  readonly stepSeconds: number;
}
export interface ListApplicationsResponse {
  readonly applications: readonly ApplicationMessage[];
}
export interface ApplicationRequest {
  readonly application: string;
}
export interface ForecastStepMessage {
  readonly step: number;
  readonly atMs: number;
  readonly cpuCores?: number;
  readonly requestRate?: number;
}
export interface ServiceForecastMessage {
  readonly service: string;
  readonly steps: readonly ForecastStepMessage[];
}
export interface ReasonMessage {
  readonly kind: string;
  readonly driver: string;
  readonly horizonStep: number;
  readonly demand: number;
  readonly capacityPerPod: number;
  /** correction − 1 (deprecated; for clients written before risk replaced the margin). */
  readonly margin: number;
  readonly text: string;
  readonly risk?: number;
  readonly correction: number;
}
export interface RecommendationMessage {
  readonly service: string;
  readonly desiredReplicas: number;
  readonly reason: ReasonMessage;
  readonly peakCpuCores?: number;
  readonly peakRequestRate?: number;
}
export interface GraphMessage {
  readonly services: readonly string[];
  readonly adjacency: readonly number[];
}
export interface PredictionMessage {
  readonly application: ApplicationMessage;
  readonly snapshotVersion: number;
  readonly forecasts: readonly ServiceForecastMessage[];
  readonly recommendations: readonly RecommendationMessage[];
  readonly graph: GraphMessage | null;
}

// grpc/health/v1/health.proto
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
export interface HealthCheckRequest {
  readonly service: string;
}
export interface HealthCheckResponse {
  readonly status: ServingStatus;
}
export interface HealthListResponse {
  readonly statuses: Readonly<Record<string, HealthCheckResponse>>;
}
