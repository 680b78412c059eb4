import { expect } from 'chai';
import { Command } from 'commander';
import type { KeyPairSource } from '../../../src/auth/tls.js';
import { ConfigError } from '../../../src/core/validate.js';
import { addGrpcFlags, resolveGrpcFlags, type GrpcFlags } from '../../../src/grpc/flags.js';

const httpsTls: KeyPairSource = { current: () => ({ cert: 'c', key: 'k' }), onChange: () => {}, close: () => {} };

function parse(...args: string[]): GrpcFlags {
  const command = addGrpcFlags(new Command().exitOverride());
  command.parse(args, { from: 'user' });
  return command.opts<GrpcFlags>();
}

describe('gRPC serve flags', () => {
  it('by default serve gRPC on 9443 at the HTTPS bind address with the HTTPS certificate', () => {
    expect(resolveGrpcFlags(parse(), '0.0.0.0', httpsTls)).to.deep.equal({ host: '0.0.0.0', port: 9443, tls: httpsTls });
  });

  it('serve plaintext only when --grpc-plaintext is given, on the address and port asked for', () => {
    expect(resolveGrpcFlags(parse('--grpc-plaintext', '--grpc-port', '7000', '--grpc-bind-address', '127.0.0.1'), '0.0.0.0', httpsTls)).to.deep.equal({
      host: '127.0.0.1',
      port: 7000,
      tls: 'plaintext',
    });
  });

  it('turn gRPC off with --no-grpc', () => {
    expect(resolveGrpcFlags(parse('--no-grpc'), '0.0.0.0', httpsTls)).to.equal(null);
  });

  it('reject a port that is not a port number, naming the flag', () => {
    expect(() => resolveGrpcFlags(parse('--grpc-port', '70000'), '0.0.0.0', httpsTls)).to.throw(ConfigError, '--grpc-port: must be at most 65535, got 70000');
  });

  it('pass a client CA file on, and refuse it together with --grpc-plaintext', () => {
    expect(resolveGrpcFlags(parse('--grpc-client-ca-file', '/etc/keda-ca.crt'), '0.0.0.0', httpsTls)).to.include({ clientCa: '/etc/keda-ca.crt' });
    expect(() => resolveGrpcFlags(parse('--grpc-plaintext', '--grpc-client-ca-file', '/x'), '0.0.0.0', httpsTls)).to.throw(
      ConfigError,
      '--grpc-client-ca-file needs TLS',
    );
  });
});
