/**
 * Shared by the gRPC tests: snapshots to publish, a store that counts its listeners, a server on
 * a free loopback port, and promise wrappers around grpc-js client calls.
 */
import * as grpc from '@grpc/grpc-js';
import type { Forecast } from '../../../src/forecast/index.js';
import type { Recommendation } from '../../../src/planning/index.js';
import { SnapshotStore, type AppSnapshot, type LearnedGraph, type SnapshotListener } from '../../../src/snapshot/index.js';
import { startGrpcServer, type GrpcServerHandle, type GrpcServerOptions } from '../../../src/grpc/server.js';
import { loadServices, type ProtoService } from '../../../src/grpc/protos.js';
import { createLogger } from '../../../src/telemetry/log.js';

export const quietLogger = createLogger({}, () => {});

/** Counts subscriptions still held, so tests can prove every stream let go of the store. */
export class ListenerCountingStore extends SnapshotStore {
  private readonly held = new Set<object>();

  get listenerCount(): number {
    return this.held.size;
  }

  override subscribe(listener: SnapshotListener): () => void {
    const token = {};
    this.held.add(token);
    const unsubscribe = super.subscribe(listener);
    return () => {
      this.held.delete(token);
      unsubscribe();
    };
  }
}

export function recommendation(service: string, desiredReplicas: number): Recommendation {
  return {
    service,
    desiredReplicas,
    reason: {
      kind: 'forecast',
      driver: 'cpu_cores',
      horizonStep: 2,
      demand: desiredReplicas * 0.5,
      capacityPerPod: 0.5,
      risk: 0.05,
      correction: 1.25,
      text: `${service}: peak 0.5 cores/pod × ${desiredReplicas} at step 2`,
    },
    peakCpuCores: desiredReplicas * 0.5,
    peakReq: Number.NaN,
  };
}

export interface AppSpec {
  readonly app?: string;
  readonly namespace?: string;
  /** service → desired replicas */
  readonly replicas?: Readonly<Record<string, number>>;
  readonly unavailableReason?: string | null;
  readonly forecast?: Forecast | null;
  readonly graph?: LearnedGraph | null;
  readonly preview?: boolean;
}

export function appSnapshot(spec: AppSpec = {}): AppSnapshot {
  const replicas = spec.replicas ?? { cart: 3, frontend: 2 };
  return {
    app: spec.app ?? 'boutique',
    namespace: spec.namespace ?? 'shop',
    computedAt: 1_700_000_060_000,
    dataTimestamp: 1_700_000_000_000,
    stepSeconds: 60,
    state: { modelUsed: true, forecaster: 'deepscaler-gnn', lastStepAt: 1_700_000_000_000, stale: false, fallback: null, lastError: null },
    recommendations: Object.entries(replicas).map(([service, n]) => recommendation(service, n)),
    windowSeconds: 120,
    forecast: spec.forecast ?? null,
    graph: spec.graph ?? null,
    observed: [],
    preview: spec.preview ?? false,
    unavailableReason: spec.unavailableReason ?? null,
  };
}

export type Clients = { readonly [K in ProtoService]: grpc.Client };

export interface Harness {
  readonly store: ListenerCountingStore;
  readonly server: GrpcServerHandle;
  readonly clients: Clients;
  close(): Promise<void>;
}

export function makeClients(
  port: number,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): Clients {
  const services = loadServices();
  const address = `127.0.0.1:${port}`;
  return {
    externalScaler: new services.externalScaler(address, credentials, options),
    predictor: new services.predictor(address, credentials, options),
    health: new services.health(address, credentials, options),
  };
}

export async function startHarness(options: Partial<GrpcServerOptions> = {}): Promise<Harness> {
  const store = new ListenerCountingStore();
  const server = await startGrpcServer({ host: '127.0.0.1', port: 0, snapshots: store, tls: 'plaintext', logger: quietLogger, ...options });
  const clients = makeClients(server.port);
  return {
    store,
    server,
    clients,
    close: async () => {
      for (const client of Object.values(clients)) client.close();
      await server.close();
    },
  };
}

type UnaryMethod = (request: unknown, callback: (err: grpc.ServiceError | null, response: unknown) => void) => grpc.ClientUnaryCall;
type StreamMethod = (request: unknown) => grpc.ClientReadableStream<unknown>;

function method<T>(client: grpc.Client, name: string): T {
  const fn = (client as unknown as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new Error(`the client has no method ${name}`);
  return fn.bind(client) as T;
}

export function unary<Res>(client: grpc.Client, name: string, request: unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    method<UnaryMethod>(client, name)(request, (err, response) => (err ? reject(err) : resolve(response as Res)));
  });
}

/** A server stream whose messages can be awaited one by one. */
export class StreamReader<Res> {
  private readonly received: Res[] = [];
  private waiters: Array<() => void> = [];
  private ended: grpc.StatusObject | grpc.ServiceError | undefined;

  constructor(readonly call: grpc.ClientReadableStream<unknown>) {
    call.on('data', (message: Res) => {
      this.received.push(message);
      this.wake();
    });
    call.on('status', (status: grpc.StatusObject) => {
      this.ended ??= status;
      this.wake();
    });
    call.on('error', (err: grpc.ServiceError) => {
      this.ended = err;
      this.wake();
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async until(ready: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Messages received so far. */
  get messages(): readonly Res[] {
    return this.received;
  }

  async next(index: number, timeoutMs = 5_000): Promise<Res> {
    await this.until(() => this.received.length > index, `message #${index}`, timeoutMs);
    return this.received[index]!;
  }

  /** The final status: OK for a clean end, the error otherwise. */
  async end(timeoutMs = 5_000): Promise<{ code: grpc.status; details: string }> {
    await this.until(() => this.ended !== undefined, 'the end of the stream', timeoutMs);
    return { code: this.ended!.code, details: this.ended!.details };
  }
}

export function stream<Res>(client: grpc.Client, name: string, request: unknown): StreamReader<Res> {
  return new StreamReader<Res>(method<StreamMethod>(client, name)(request));
}

export async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
