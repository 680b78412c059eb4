/**
 * grpc.health.v1.Health. Rule: SERVING once the serving loop has published a first snapshot and
 * until shutdown begins; NOT_SERVING before and after. The empty name is the whole server; each
 * service we serve answers under its full name.
 */
import * as grpc from '@grpc/grpc-js';
import type { SnapshotStore } from '../snapshot/index.js';
import type { Logger } from '../telemetry/index.js';
import { GrpcStatusError, type OpenStreams, unaryHandler } from './calls.js';
import type { HealthCheckRequest, HealthCheckResponse, HealthListResponse, ServingStatus } from './messages.js';
import { SERVICE_NAMES } from './protos.js';

export const HEALTH_CHECKED_SERVICES: readonly string[] = ['', SERVICE_NAMES.externalScaler, SERVICE_NAMES.predictor];

export class HealthStatus {
  private draining = false;
  private readonly drainListeners = new Set<() => void>();

  constructor(private readonly store: SnapshotStore) {}

  /** undefined for a name we do not serve. */
  status(service: string): ServingStatus | undefined {
    if (!HEALTH_CHECKED_SERVICES.includes(service)) return undefined;
    return !this.draining && this.store.current().version > 0 ? 'SERVING' : 'NOT_SERVING';
  }

  /** Shutdown has begun: report NOT_SERVING so probes and balancers move away before streams end. */
  drain(): void {
    this.draining = true;
    for (const listener of [...this.drainListeners]) listener();
  }

  subscribe(notify: () => void): () => void {
    this.drainListeners.add(notify);
    const unsubscribeStore = this.store.subscribe(notify);
    return () => {
      this.drainListeners.delete(notify);
      unsubscribeStore();
    };
  }
}

export function healthHandlers(health: HealthStatus, streams: OpenStreams, logger: Logger): grpc.UntypedServiceImplementation {
  const Check = unaryHandler<HealthCheckRequest, HealthCheckResponse>(logger, 'Check', (request) => {
    const status = health.status(request.service);
    if (status === undefined) {
      throw new GrpcStatusError(
        grpc.status.NOT_FOUND,
        `no service "${request.service}" here; health is reported for: ${HEALTH_CHECKED_SERVICES.map((s) => `"${s}"`).join(', ')}`,
      );
    }
    return { status };
  });

  const List = unaryHandler<unknown, HealthListResponse>(logger, 'List', () => ({
    statuses: Object.fromEntries(HEALTH_CHECKED_SERVICES.map((service) => [service, { status: health.status(service)! }])),
  }));

  // Per the protocol, an unknown service is reported as SERVICE_UNKNOWN and the watch stays open.
  const Watch: grpc.handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse> = (call) => {
    let lastSent: ServingStatus | undefined;
    streams.follow(
      call,
      (notify) => health.subscribe(notify),
      () => {
        const status = health.status(call.request.service) ?? 'SERVICE_UNKNOWN';
        if (status === lastSent) return [];
        lastSent = status;
        return [{ status }];
      },
    );
  };

  return { Check, List, Watch };
}
