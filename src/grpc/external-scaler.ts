/**
 * KEDA's externalscaler.ExternalScaler over the snapshot. The metric has target size 1 and value =
 * desired replicas, so the HPA KEDA builds (AverageValue) asks for exactly the predicted count.
 */
import * as grpc from '@grpc/grpc-js';
import type { SnapshotStore } from '../snapshot/index.js';
import type { Logger } from '../telemetry/index.js';
import { GrpcStatusError, type OpenStreams, toStatus, unaryHandler } from './calls.js';
import type { GetMetricSpecResponse, GetMetricsRequest, GetMetricsResponse, IsActiveResponse, ScaledObjectRef } from './messages.js';
import { isActive, resolveScalerTarget } from './scaled-object.js';

export function externalScalerHandlers(store: SnapshotStore, streams: OpenStreams, logger: Logger): grpc.UntypedServiceImplementation {
  const IsActive = unaryHandler<ScaledObjectRef, IsActiveResponse>(logger, 'IsActive', (ref) => ({
    result: isActive(resolveScalerTarget(ref, store)),
  }));

  const GetMetricSpec = unaryHandler<ScaledObjectRef, GetMetricSpecResponse>(logger, 'GetMetricSpec', (ref) => ({
    metricSpecs: [{ metricName: resolveScalerTarget(ref, store).metricName, targetSize: 1, targetSizeFloat: 1 }],
  }));

  const GetMetrics = unaryHandler<GetMetricsRequest, GetMetricsResponse>(logger, 'GetMetrics', (request) => {
    if (!request.scaledObjectRef) {
      throw new GrpcStatusError(
        grpc.status.INVALID_ARGUMENT,
        'GetMetricsRequest.scaledObjectRef is required: it carries the trigger metadata naming the service',
      );
    }
    const target = resolveScalerTarget(request.scaledObjectRef, store);
    const replicas = target.recommendation.desiredReplicas;
    // KEDA strips its "sN-" prefix before asking; echo the name it asked for so it matches its HPA metric.
    return { metricValues: [{ metricName: request.metricName || target.metricName, metricValue: replicas, metricValueFloat: replicas }] };
  });

  const StreamIsActive: grpc.handleServerStreamingCall<ScaledObjectRef, IsActiveResponse> = (call) => {
    const ref = call.request;
    try {
      resolveScalerTarget(ref, store);
    } catch (err) {
      call.emit('error', toStatus(err, logger, 'StreamIsActive'));
      return;
    }
    let lastSent: boolean | undefined;
    streams.follow(
      call,
      (notify) => store.subscribe(notify),
      () => {
        let active: boolean;
        try {
          active = isActive(resolveScalerTarget(ref, store));
        } catch (err) {
          // Withheld or missing predictions push nothing: losing data must never read as "inactive" (a scale to zero).
          logger.debug('StreamIsActive holds its last answer', { reason: err instanceof Error ? err.message : String(err) });
          return [];
        }
        if (active === lastSent) return [];
        lastSent = active;
        return [{ result: active }];
      },
    );
  };

  return { IsActive, StreamIsActive, GetMetricSpec, GetMetrics };
}
