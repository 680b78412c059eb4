/**
 * The .proto files under proto/, loaded at run time with @grpc/proto-loader. One set of loader
 * options for the server and for the clients tests and benchmarks build, so both sides decode alike.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** int64 as JS numbers (replica counts and epoch ms fit), enums as their names, absent fields as defaults. */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
};

export const PROTO_FILES = {
  externalScaler: 'externalscaler.proto',
  predictor: 'predictor.proto',
  health: 'grpc/health/v1/health.proto',
} as const;

export const SERVICE_NAMES = {
  externalScaler: 'externalscaler.ExternalScaler',
  predictor: 'deepscaler.predictor.v1.Predictor',
  health: 'grpc.health.v1.Health',
} as const;

export type ProtoService = keyof typeof SERVICE_NAMES;

/**
 * proto/ beside package.json, found by walking up from this module: the same lookup works from
 * dist/src/grpc in a checkout and from the installed package in the container image.
 */
export function protoDir(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto'))) return join(dir, 'proto');
    if (dirname(dir) === dir) {
      throw new Error(`gRPC: no proto/ folder beside a package.json above ${start}; ship proto/ with the package`);
    }
  }
}

export function loadPackageDefinition(file: string, dir: string = protoDir()): protoLoader.PackageDefinition {
  return protoLoader.loadSync(join(dir, file), { ...PROTO_LOADER_OPTIONS, includeDirs: [dir] });
}

function lookupService(root: grpc.GrpcObject, fullName: string): grpc.ServiceClientConstructor {
  let node: unknown = root;
  for (const part of fullName.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof node !== 'function' || !('service' in node)) throw new Error(`gRPC: service ${fullName} is not defined in the loaded protos`);
  return node as grpc.ServiceClientConstructor;
}

let loaded: Readonly<Record<ProtoService, grpc.ServiceClientConstructor>> | undefined;

/** Each service's client constructor; `.service` is the definition a server adds. Loaded once per process. */
export function loadServices(): Readonly<Record<ProtoService, grpc.ServiceClientConstructor>> {
  if (loaded) return loaded;
  const entries = (Object.keys(SERVICE_NAMES) as ProtoService[]).map((key) => {
    const root = grpc.loadPackageDefinition(loadPackageDefinition(PROTO_FILES[key]));
    return [key, lookupService(root, SERVICE_NAMES[key])] as const;
  });
  loaded = Object.fromEntries(entries) as Record<ProtoService, grpc.ServiceClientConstructor>;
  return loaded;
}
