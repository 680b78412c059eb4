import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { GrpcStatusError, unaryHandler } from '../../../src/grpc/calls.js';
import { createLogger } from '../../../src/telemetry/log.js';

/** Runs a unary handler on a bare request and returns what it answered. */
type Answer = { error: Parameters<grpc.sendUnaryData<string>>[0]; value: string | null | undefined };

function answer(handler: grpc.handleUnaryCall<string, string>): Answer {
  let result: Answer | undefined;
  handler({ request: 'req' } as grpc.ServerUnaryCall<string, string>, (error, value) => {
    result = { error, value };
  });
  return result!;
}

describe('gRPC unary handlers', () => {
  it('answer with the value the handler returns', () => {
    expect(
      answer(
        unaryHandler(
          createLogger({}, () => {}),
          'Echo',
          (request: string) => request + '!',
        ),
      ),
    ).to.deep.equal({ error: null, value: 'req!' });
  });

  it('pass a status error through with its code and message', () => {
    const { error } = answer(
      unaryHandler(
        createLogger({}, () => {}),
        'Refuse',
        () => {
          throw new GrpcStatusError(grpc.status.NOT_FOUND, 'no such thing; try another');
        },
      ),
    );
    expect([error?.code, (error as Error).message]).to.deep.equal([grpc.status.NOT_FOUND, 'no such thing; try another']);
  });

  it('turn any other error into INTERNAL without its details, and log them', () => {
    const lines: string[] = [];
    const { error } = answer(
      unaryHandler(
        createLogger({}, (line) => lines.push(line)),
        'Broken',
        () => {
          throw new TypeError('secret internals');
        },
      ),
    );
    expect(error?.code).to.equal(grpc.status.INTERNAL);
    expect((error as Error).message).to.equal("internal error in Broken; see the adapter's logs");
    expect(JSON.parse(lines[0]!)).to.include({ level: 'error', msg: 'gRPC call failed', method: 'Broken', error: 'secret internals' });
  });
});
