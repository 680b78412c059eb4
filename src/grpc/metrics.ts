/**
 * The gRPC server's own Prometheus metrics: calls by method and status code (KEDA's refusals show up
 * as NOT_FOUND / UNAVAILABLE / INVALID_ARGUMENT), and the streams held open.
 */
import * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OpenStreams } from './calls.js';

/** Registers the metrics in `registry`; returns the interceptor that counts every finished call. */
export function grpcMetrics(registry: Registry, streams: OpenStreams): grpc.ServerInterceptor {
  const calls = new Counter({
    name: 'deepscaler_grpc_calls_total',
    help: 'gRPC calls finished, by service, method and status code',
    labelNames: ['service', 'method', 'code'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'deepscaler_grpc_open_streams',
    help: 'Server streams currently open (StreamIsActive, WatchPredictions, health Watch)',
    registers: [registry],
    collect() {
      this.set(streams.size);
    },
  });
  return (methodDescriptor, call) => {
    // path is "/<package>.<Service>/<Method>"
    const [, service = '', method = ''] = methodDescriptor.path.split('/');
    return new grpc.ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        calls.inc({ service, method, code: grpc.status[status.code] });
        next(status);
      },
    });
  };
}
