/**
 * Command-line flags of the API server (names as kube-apiserver and other extension API servers
 * spell them) and what they resolve to. The serve command adds them with `addApiServerFlags` and
 * hands `resolveApiServerFlags(...)` to `startApiServer`.
 */
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
import { watchAuthenticationConfigMap, clusterConfig, KubeAccessReviewer, KubeTokenReviewer } from '../kube/index.js';
import type { Logger } from '../telemetry/index.js';
import { writeFileAtomic } from '../util/index.js';

export interface ApiServerFlags {
  readonly bindAddress: string;
  readonly securePort: string;
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  readonly certDir: string;
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
      'where the self-signed serving certificate and the local client CA are kept when no --tls-cert-file is given',
      '.deepscaler/certs',
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
  const servingFiles =
    flags.tlsCertFile && flags.tlsPrivateKeyFile
      ? { certFile: flags.tlsCertFile, keyFile: flags.tlsPrivateKeyFile }
      : ensureSelfSignedCertificate(flags.certDir, ['localhost', '127.0.0.1', '::1', ...(flags.bindAddress === '127.0.0.1' ? [] : [flags.bindAddress])]);
  const tls = watchKeyPair(servingFiles, logger);

  const kubeConfig = clusterConfig(flags.kubeconfig);
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
    close: () => {
      tls.close();
      authentication.close();
    },
  };
}
