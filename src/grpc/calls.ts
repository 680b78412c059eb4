/**
 * Call plumbing shared by every service: status errors that reach the client with their message,
 * unary handlers that turn thrown errors into statuses, and server streams that follow a
 * subscription until the client leaves or the server shuts down.
 */
import * as grpc from '@grpc/grpc-js';
import { SnapshotRefusal, type RefusalKind } from '../snapshot/index.js';
import type { Logger } from '../telemetry/index.js';

/** An error the client should see as-is: its code and a message that says what to fix. */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcStatusError';
  }
}

/** A snapshot refusal as gRPC says it: preview values are a precondition KEDA's author must change. */
const REFUSAL_CODE: Readonly<Record<RefusalKind, grpc.status>> = {
  'not-found': grpc.status.NOT_FOUND,
  unavailable: grpc.status.UNAVAILABLE,
  preview: grpc.status.FAILED_PRECONDITION,
};

/** Our own status errors and snapshot refusals pass through; anything else is a bug, logged here and hidden from the client. */
export function toStatus(err: unknown, logger: Logger, method: string): grpc.ServerErrorResponse {
  if (err instanceof SnapshotRefusal) err = new GrpcStatusError(REFUSAL_CODE[err.kind], err.message);
  if (err instanceof GrpcStatusError) {
    logger.debug('gRPC call refused', { method, code: grpc.status[err.code], reason: err.message });
    return err;
  }
  logger.error('gRPC call failed', { method, error: err instanceof Error ? err.message : String(err) });
  return Object.assign(new Error(`internal error in ${method}; see the adapter's logs`), { code: grpc.status.INTERNAL });
}

export function unaryHandler<Req, Res>(logger: Logger, method: string, answer: (request: Req) => Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let response: Res;
    try {
      response = answer(call.request);
    } catch (err) {
      callback(toStatus(err, logger, method));
      return;
    }
    callback(null, response);
  };
}

/** Calls `notify` on every change; returns the unsubscribe function. */
export type Subscribe = (notify: () => void) => () => void;

/** The server streams currently open, so graceful shutdown can end them (they never end by themselves). */
export class OpenStreams {
  private readonly enders = new Set<() => void>();

  get size(): number {
    return this.enders.size;
  }

  /** Ends every open stream with OK: clients see a clean end and reconnect, to another replica if need be. */
  endAll(): void {
    for (const end of [...this.enders]) end();
  }

  /**
   * Writes `pending()` at once and again after every notification, until the client cancels or
   * endAll runs. `pending` returns only what the client has not seen yet, so a slow client that
   * fills its buffer skips intermediate states and gets the latest once it drains.
   */
  follow<Req, Res>(call: grpc.ServerWritableStream<Req, Res>, subscribe: Subscribe, pending: () => readonly Res[]): void {
    let waitingForDrain = false;
    let missedWhileWaiting = false;
    const push = (): void => {
      if (waitingForDrain) {
        missedWhileWaiting = true;
        return;
      }
      for (const message of pending()) if (!call.write(message)) waitingForDrain = true;
    };
    let unsubscribe: () => void = () => {};
    const release = (): void => {
      if (this.enders.delete(end)) unsubscribe();
    };
    const end = (): void => {
      release();
      call.end();
    };
    this.enders.add(end);
    call.on('drain', () => {
      waitingForDrain = false;
      if (missedWhileWaiting) {
        missedWhileWaiting = false;
        push();
      }
    });
    call.on('cancelled', release);
    call.on('error', release);
    call.on('close', release);
    unsubscribe = subscribe(push);
    push();
  }
}
