/**
 * Command-line flags of the API server (names as kube-apiserver and other extension API servers
 * spell them) and what they resolve to. The serve command adds them with `addApiServerFlags` and
 * hands `resolveApiServerFlags(...)` to `startApiServer`.
 */
import { ApiregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AccessReviewer,
  type AuthenticationSource,
  type TokenReviewer,
  issueCertificate,
  fileAuthentication,
  watchCertificateFile,
  type PemSource,
  ensureSelfSignedCertificate,
  readKeyPair,
  watchKeyPair,
  type KeyPairFiles,
  type KeyPairSource,
} from '../auth/index.js';
import { expectNumber, ConfigError } from '../core/index.js';
import {
  watchAuthenticationConfigMap,
  clusterConfig,
  KubeAccessReviewer,
  KubeTokenReviewer,
  parseObjectRef,
  startServingCertificateKeeper,
  type ServingCertificateKeeper,
} from '../kube/index.js';
import type { Logger } from '../telemetry/index.js';
import { writeFileAtomic } from '../util/index.js';

/** The shipped Service (manifests/base/service.yaml). */
const DEFAULT_SERVICE = 'deepscaler/deepscaler-adapter';

export interface ApiServerFlags {
  readonly bindAddress: string;
  readonly securePort: string;
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  readonly certDir: string;
  readonly certSecret?: string;
  readonly grpcClientSecret?: string;
  readonly service?: string;
  readonly apiservice?: string;
  readonly clientCaFile?: string;
  readonly requestheaderClientCaFile?: string;
  readonly requestheaderAllowedNames?: string;
  readonly requestheaderUsernameHeaders?: string;
  readonly requestheaderGroupHeaders?: string;
  readonly requestheaderExtraHeadersPrefix?: string;
  readonly kubeconfig?: string;
  readonly authenticationSkipLookup?: boolean;
  readonly insecureAllowAll?: boolean;
  readonly reviewCacheTtl: string;
}

export function addApiServerFlags(command: Command): Command {
  return command
    .option('--bind-address <ip>', 'address the HTTPS API listens on (0.0.0.0 in a pod)', '127.0.0.1')
    .option('--secure-port <port>', 'HTTPS port of the external metrics API', '6443')
    .option('--tls-cert-file <path>', 'serving certificate (PEM, chain allowed); reloaded when it changes')
    .option('--tls-private-key-file <path>', 'key of --tls-cert-file')
    .option(
      '--cert-dir <dir>',
      'where the self-made serving certificate and the local client CA are kept when no --tls-cert-file is given; env DEEPSCALER_CERT_DIR (the image: /tmp/deepscaler/certs)',
      process.env['DEEPSCALER_CERT_DIR'] ?? '.deepscaler/certs',
    )
    .option(
      '--cert-secret <namespace/name>',
      'make the serving certificate and its CA and keep them in this Secret, shared by every replica (needs a cluster); instead of --tls-cert-file',
    )
    .option(
      '--grpc-client-secret <namespace/name>',
      "with --cert-secret: issue KEDA's gRPC client certificate from the same CA into this Secret (tls.crt, tls.key, ca.crt; for a ClusterTriggerAuthentication) and require client certificates from that CA",
    )
    .option(
      '--service <namespace/name>',
      'the Service in front of the adapter: the names of the --cert-secret certificate, and what --apiservice must point at',
      DEFAULT_SERVICE,
    )
    .option(
      '--apiservice <name>',
      'check at start-up and every 5 min that this APIService (e.g. v1beta1.external.metrics.k8s.io) points at --service, warning loudly when another backend owns it; with --cert-secret also keep its caBundle equal to the CA',
    )
    .option('--client-ca-file <path>', 'CA bundle for client certificates (user = CN, groups = O); instead of the cluster ConfigMap')
    .option('--requestheader-client-ca-file <path>', 'CA bundle of the front proxy (aggregator) client certificate; instead of the cluster ConfigMap')
    .option('--requestheader-allowed-names <names>', 'comma-separated CNs allowed as front proxy (empty: any certificate from that CA)')
    .option('--requestheader-username-headers <headers>', 'comma-separated user name headers', 'X-Remote-User')
    .option('--requestheader-group-headers <headers>', 'comma-separated group headers', 'X-Remote-Group')
    .option('--requestheader-extra-headers-prefix <prefixes>', 'comma-separated extra header prefixes', 'X-Remote-Extra-')
    .option('--kubeconfig <path>', 'cluster for TokenReview, SubjectAccessReview and the authentication ConfigMap (default: in-cluster when in a pod)')
    .option('--authentication-skip-lookup', 'do not read kube-system/extension-apiserver-authentication')
    .option('--insecure-allow-all', 'DEVELOPMENT ONLY: authorize every request, anonymous included (logged loudly)')
    .option('--review-cache-ttl <seconds>', 'how long TokenReview and SubjectAccessReview answers are reused', '10');
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export interface ResolvedApiServer {
  readonly host: string;
  readonly port: number;
  readonly tls: KeyPairSource;
  readonly authentication: AuthenticationSource;
  readonly tokenReviewer: TokenReviewer | null;
  readonly accessReviewer: AccessReviewer | null;
  readonly insecureAllowAll: boolean;
  readonly reviewCacheTtlMs: number;
  /** With --grpc-client-secret: the CA gRPC clients' certificates must chain to. */
  readonly grpcClientCaFile: string | null;
  /** Set when no cluster is used: a local CA and a system:masters client certificate for curl/kubectl. */
  readonly localClient: LocalClientFiles | null;
  /** The watched --client-ca-file (or local client CA), for the gRPC server to share; null with the ConfigMap. */
  readonly clientCa: PemSource | null;
  /** Stops the file and ConfigMap watches. */
  close(): void;
}

export interface LocalClientFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The serving certificate, for clients to verify the server. */
  readonly serverCaFile: string;
}

/**
 * Without a cluster nobody could be authorized but system:masters: make a local client CA and a
 * system:masters certificate once, so the default run is reachable with curl and kubectl securely.
 */
export function ensureLocalClientCertificate(certDir: string, serving: KeyPairFiles): LocalClientFiles {
  const files = {
    caFile: join(certDir, 'local-client-ca.crt'),
    certFile: join(certDir, 'local-admin.crt'),
    keyFile: join(certDir, 'local-admin.key'),
    serverCaFile: serving.certFile,
  };
  const caKeyFile = join(certDir, 'local-client-ca.key');
  const present = [files.caFile, caKeyFile, files.certFile, files.keyFile].every((f) => existsSync(f));
  if (present) {
    try {
      readKeyPair({ certFile: files.certFile, keyFile: files.keyFile });
      return files;
    } catch {
      // Broken pair: issue a new one below.
    }
  }
  mkdirSync(certDir, { recursive: true, mode: 0o700 });
  const ca = issueCertificate({ commonName: 'deepscaler-local-client-ca', usage: 'ca', validDays: 365 });
  const admin = issueCertificate({ commonName: 'local-admin', organizations: ['system:masters'], usage: 'client', issuer: ca, validDays: 365 });
  writeFileAtomic(caKeyFile, ca.key);
  writeFileAtomic(files.keyFile, admin.key);
  writeFileAtomic(files.certFile, admin.cert);
  writeFileAtomic(files.caFile, ca.cert);
  chmodSync(caKeyFile, 0o600);
  chmodSync(files.keyFile, 0o600);
  return files;
}

/** A kubeconfig for `kubectl get --raw` against the local server with the local admin certificate. */
export function localKubeconfig(serverUrl: string, client: Pick<LocalClientFiles, 'serverCaFile' | 'certFile' | 'keyFile'>): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: deepscaler',
    '  cluster:',
    `    server: ${serverUrl}`,
    `    certificate-authority: ${client.serverCaFile}`,
    'users:',
    '- name: local-admin',
    '  user:',
    `    client-certificate: ${client.certFile}`,
    `    client-key: ${client.keyFile}`,
    'contexts:',
    '- name: deepscaler',
    '  context: {cluster: deepscaler, user: local-admin}',
    'current-context: deepscaler',
    '',
  ].join('\n');
}

export async function resolveApiServerFlags(flags: ApiServerFlags, logger: Logger): Promise<ResolvedApiServer> {
  const port = expectNumber(flags.securePort, '--secure-port', { integer: true, min: 0, max: 65535 });
  const reviewCacheTtlMs = expectNumber(flags.reviewCacheTtl, '--review-cache-ttl', { min: 0 }) * 1000;
  if (Boolean(flags.tlsCertFile) !== Boolean(flags.tlsPrivateKeyFile)) {
    throw new ConfigError('--tls-cert-file and --tls-private-key-file: give both or neither');
  }
  if (flags.certSecret !== undefined && flags.tlsCertFile !== undefined) {
    throw new ConfigError('--cert-secret and --tls-cert-file: the certificate comes from one of them, give only one');
  }
  if (flags.grpcClientSecret !== undefined && flags.certSecret === undefined) {
    throw new ConfigError('--grpc-client-secret needs --cert-secret: the client certificate is signed by the CA kept there');
  }
  const kubeConfig = clusterConfig(flags.kubeconfig);
  let keeper: ServingCertificateKeeper | null = null;
  if (flags.certSecret !== undefined || flags.apiservice !== undefined) {
    if (kubeConfig === null) throw new ConfigError('--cert-secret and --apiservice need a cluster: run in a pod or give --kubeconfig');
    const ref = (text: string, flag: string): ReturnType<typeof parseObjectRef> => {
      try {
        return parseObjectRef(text, flag);
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    };
    keeper = await startServingCertificateKeeper({
      secrets: kubeConfig.makeApiClient(CoreV1Api),
      apiServices: kubeConfig.makeApiClient(ApiregistrationV1Api),
      secret: flags.certSecret !== undefined ? ref(flags.certSecret, '--cert-secret') : null,
      clientSecret: flags.grpcClientSecret !== undefined ? ref(flags.grpcClientSecret, '--grpc-client-secret') : null,
      service: ref(flags.service ?? DEFAULT_SERVICE, '--service'),
      apiService: flags.apiservice ?? null,
      certDir: flags.certDir,
      logger,
    });
  }
  const servingFiles =
    keeper?.files ??
    (flags.tlsCertFile && flags.tlsPrivateKeyFile
      ? { certFile: flags.tlsCertFile, keyFile: flags.tlsPrivateKeyFile }
      : ensureSelfSignedCertificate(flags.certDir, ['localhost', '127.0.0.1', '::1', ...(flags.bindAddress === '127.0.0.1' ? [] : [flags.bindAddress])]));
  let tls: KeyPairSource;
  try {
    tls = watchKeyPair(servingFiles, logger);
  } catch (err) {
    keeper?.close();
    throw err;
  }

  const fromFiles = Boolean(flags.clientCaFile || flags.requestheaderClientCaFile);
  let localClient: LocalClientFiles | null = null;
  let authentication: AuthenticationSource;
  let clientCa: PemSource | null = null;
  let requestHeaderCa: PemSource | null = null;
  try {
    if (kubeConfig && !fromFiles && !flags.authenticationSkipLookup) {
      authentication = await watchAuthenticationConfigMap(kubeConfig, logger);
    } else {
      if (!kubeConfig && !fromFiles) localClient = ensureLocalClientCertificate(flags.certDir, servingFiles);
      const clientCaFile = flags.clientCaFile ?? localClient?.caFile;
      // Watched like the serving certificate: a rotated CA file takes effect without a restart.
      clientCa = clientCaFile ? watchCertificateFile(clientCaFile, logger) : null;
      requestHeaderCa = flags.requestheaderClientCaFile ? watchCertificateFile(flags.requestheaderClientCaFile, logger) : null;
      authentication = fileAuthentication(
        { clientCA: clientCa, requestHeaderCA: requestHeaderCa },
        {
          allowedNames: list(flags.requestheaderAllowedNames),
          usernameHeaders: list(flags.requestheaderUsernameHeaders),
          groupHeaders: list(flags.requestheaderGroupHeaders),
          extraHeaderPrefixes: list(flags.requestheaderExtraHeadersPrefix),
        },
        logger,
      );
    }
  } catch (err) {
    tls.close();
    clientCa?.close();
    requestHeaderCa?.close();
    keeper?.close();
    throw err;
  }
  return {
    host: flags.bindAddress,
    port,
    tls,
    authentication,
    tokenReviewer: kubeConfig ? new KubeTokenReviewer(kubeConfig) : null,
    accessReviewer: kubeConfig ? new KubeAccessReviewer(kubeConfig) : null,
    insecureAllowAll: flags.insecureAllowAll === true,
    reviewCacheTtlMs,
    localClient,
    clientCa,
    grpcClientCaFile: flags.grpcClientSecret !== undefined ? (keeper?.caFile ?? null) : null,
    close: () => {
      tls.close();
      keeper?.close();
      authentication.close();
    },
  };
}
