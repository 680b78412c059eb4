/**
 * The install without hand steps: the adapter makes its own serving certificate, keeps it in a
 * Secret that every replica shares (the aggregator reaches whichever pod the Service picks, so all
 * must present a certificate from the same CA), and keeps the APIService's `caBundle` equal to that
 * CA. It also checks, at start-up and then periodically, that the APIService points at this
 * adapter's Service, and warns loudly when another backend (KEDA, prometheus-adapter) owns it: it
 * never takes an APIService over.
 *
 * Concurrency: the Secret is created with `create` (the API server lets exactly one replica win;
 * the others read the winner's) and renewed with `replace` at the read resourceVersion (a lost
 * race re-reads). The CA lives ten years and is kept across leaf renewals, so renewals never
 * change the caBundle.
 */
import * as k8s from '@kubernetes/client-node';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate, type KeyPairFiles, type KeyPairPem } from '../auth/index.js';
import type { Logger } from '../telemetry/index.js';
import { writeFileAtomic } from '../util/index.js';

export type SecretsApi = Pick<k8s.CoreV1Api, 'readNamespacedSecret' | 'createNamespacedSecret' | 'replaceNamespacedSecret'>;
export type ApiServicesApi = Pick<k8s.ApiregistrationV1Api, 'readAPIService' | 'replaceAPIService'>;

/** A namespaced object's reference, written `namespace/name` on the command line. */
export interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
}

export function parseObjectRef(text: string, flag: string): ObjectRef {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(text);
  if (m === null) throw new Error(`${flag}: "${text}" is not <namespace>/<name>`);
  return { namespace: m[1]!, name: m[3]! };
}

/** The names in-cluster clients use for a Service; the aggregator verifies `<name>.<namespace>.svc`. */
export function serviceHostnames(service: ObjectRef): string[] {
  const { name, namespace } = service;
  return [`${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`, `${name}.${namespace}`, name];
}

/** What the Secret holds: the serving pair, the CA that signed it (the caBundle) and the CA's key. */
export interface ServingSecret extends KeyPairPem {
  readonly caCert: string;
  readonly caKey: string;
}

const DAY_MS = 24 * 3600 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
/** Renew the leaf a month before it expires (and a CA with less than a year left: a new caBundle). */
const RENEW_LEAF_MS = 30 * DAY_MS;
const RENEW_CA_MS = 365 * DAY_MS;

const KEYS = { cert: 'tls.crt', key: 'tls.key', caCert: 'ca.crt', caKey: 'ca.key' } as const;

function decode(secret: k8s.V1Secret): Partial<ServingSecret> {
  const data = secret.data ?? {};
  const out: Record<string, string> = {};
  for (const [field, key] of Object.entries(KEYS)) {
    const b64 = data[key];
    if (b64 !== undefined) out[field] = Buffer.from(b64, 'base64').toString('utf8');
  }
  return out;
}

function encode(pem: Partial<ServingSecret>): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [field, key] of Object.entries(KEYS)) {
    const value = pem[field as keyof ServingSecret];
    if (value !== undefined) data[key] = Buffer.from(value).toString('base64');
  }
  return data;
}

/** Why the stored material cannot be served as is, or null when it is fine. */
export function secretProblem(pem: Partial<ServingSecret>, hostnames: readonly string[], now: number): { leaf: string | null; ca: string | null } {
  let ca: X509Certificate;
  try {
    if (pem.caCert === undefined || pem.caKey === undefined) return { leaf: 'no CA', ca: 'missing' };
    ca = new X509Certificate(pem.caCert);
    if (!ca.checkPrivateKey(createPrivateKey(pem.caKey))) return { leaf: 'no CA', ca: 'key does not match' };
  } catch (err) {
    return { leaf: 'no CA', ca: `unreadable (${(err as Error).message})` };
  }
  const caProblem = Date.parse(ca.validTo) - now < RENEW_CA_MS ? `expires ${ca.validTo}` : null;
  if (caProblem !== null) return { leaf: 'CA renewed', ca: caProblem };
  try {
    if (pem.cert === undefined || pem.key === undefined) return { leaf: 'missing', ca: null };
    const leaf = new X509Certificate(pem.cert);
    if (!leaf.checkPrivateKey(createPrivateKey(pem.key))) return { leaf: 'key does not match', ca: null };
    if (!leaf.verify(ca.publicKey)) return { leaf: 'not signed by the CA', ca: null };
    if (Date.parse(leaf.validTo) - now < RENEW_LEAF_MS) return { leaf: `expires ${leaf.validTo}`, ca: null };
    const missing = hostnames.filter((h) => leaf.checkHost(h) === undefined);
    if (missing.length > 0) return { leaf: `does not cover ${missing.join(', ')}`, ca: null };
  } catch (err) {
    return { leaf: `unreadable (${(err as Error).message})`, ca: null };
  }
  return { leaf: null, ca: null };
}

function issue(previous: Partial<ServingSecret>, keepCa: boolean, hostnames: readonly string[]): ServingSecret {
  const ca =
    keepCa && previous.caCert !== undefined && previous.caKey !== undefined
      ? { cert: previous.caCert, key: previous.caKey }
      : issueCertificate({ commonName: 'deepscaler-adapter-ca', usage: 'ca', validDays: CA_DAYS });
  const leaf = issueCertificate({ commonName: hostnames[0] ?? 'deepscaler-adapter', usage: 'server', hostnames, issuer: ca, validDays: LEAF_DAYS });
  return { cert: leaf.cert, key: leaf.key, caCert: ca.cert, caKey: ca.key };
}

function code(err: unknown): number {
  return err instanceof k8s.ApiException ? err.code : 0;
}

function describe(err: unknown): string {
  if (err instanceof k8s.ApiException) {
    try {
      const status = JSON.parse(String(err.body)) as { message?: string };
      if (typeof status.message === 'string') return `${err.code}: ${status.message}`;
    } catch {
      // not a Status body
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

type SecretPem = Partial<ServingSecret>;

/**
 * Reads Secret `ref` and, when `plan` asks for it (absent: `null` is passed), writes what `plan`
 * returns: create when absent (409: another replica won, use theirs), replace at the read
 * resourceVersion otherwise (409: lost a race, read again). Returns what is stored in the end.
 */
async function keepSecret(
  api: SecretsApi,
  ref: ObjectRef,
  plan: (stored: SecretPem | null) => { pem: SecretPem; why: string } | null,
  logger: Logger,
): Promise<SecretPem> {
  const where = `secret ${ref.namespace}/${ref.name}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let existing: k8s.V1Secret | null;
    try {
      existing = await api.readNamespacedSecret({ name: ref.name, namespace: ref.namespace });
    } catch (err) {
      if (code(err) !== 404) throw new Error(`cannot read ${where} (RBAC: get on that Secret): ${describe(err)}`, { cause: err });
      existing = null;
    }
    const stored = existing === null ? null : decode(existing);
    const change = plan(stored);
    if (change === null) return stored!;
    try {
      if (existing === null) {
        const metadata = {
          name: ref.name,
          namespace: ref.namespace,
          labels: { 'app.kubernetes.io/name': 'deepscaler-adapter', 'app.kubernetes.io/managed-by': 'deepscaler-adapter' },
        };
        await api.createNamespacedSecret({ namespace: ref.namespace, body: { metadata, type: 'kubernetes.io/tls', data: encode(change.pem) } });
      } else {
        await api.replaceNamespacedSecret({
          name: ref.name,
          namespace: ref.namespace,
          body: { ...existing, type: existing.type ?? 'kubernetes.io/tls', data: encode(change.pem) },
        });
      }
    } catch (err) {
      if (code(err) === 409) continue;
      throw new Error(
        `cannot ${existing === null ? 'create' : 'update'} ${where} (RBAC: ${existing === null ? `create on secrets in ${ref.namespace}` : 'update on that Secret'}): ${describe(err)}`,
        { cause: err },
      );
    }
    logger.info(existing === null ? 'certificate made' : 'certificate renewed', { secret: `${ref.namespace}/${ref.name}`, why: change.why });
    return change.pem;
  }
  throw new Error(`${where}: changed under us three times in a row; giving up this round`);
}

/**
 * The shared serving certificate from Secret `ref`, made (or renewed) when absent, expiring or not
 * covering `hostnames`. Returns what every replica serves.
 */
export async function ensureServingSecret(
  api: SecretsApi,
  ref: ObjectRef,
  hostnames: readonly string[],
  logger: Logger,
  now = Date.now(),
): Promise<ServingSecret> {
  const stored = await keepSecret(
    api,
    ref,
    (current) => {
      if (current === null) return { pem: issue({}, false, hostnames), why: 'absent' };
      const problem = secretProblem(current, hostnames, now);
      if (problem.leaf === null) return null;
      return { pem: issue(current, problem.ca === null, hostnames), why: `certificate: ${problem.leaf}; CA: ${problem.ca ?? 'kept'}` };
    },
    logger,
  );
  return stored as ServingSecret;
}

/**
 * A client certificate signed by the serving CA, for KEDA (a ClusterTriggerAuthentication reads
 * tls.crt, tls.key and ca.crt from it): made when absent, renewed when expiring or when the CA
 * changed. The gRPC server then accepts exactly the clients this CA signed.
 */
export async function ensureClientSecret(api: SecretsApi, ref: ObjectRef, ca: KeyPairPem, commonName: string, logger: Logger, now = Date.now()): Promise<void> {
  const issueClient = (): SecretPem => {
    const leaf = issueCertificate({ commonName, usage: 'client', issuer: ca, validDays: LEAF_DAYS });
    return { cert: leaf.cert, key: leaf.key, caCert: ca.cert };
  };
  await keepSecret(
    api,
    ref,
    (current) => {
      if (current === null) return { pem: issueClient(), why: 'absent' };
      const problem = clientProblem(current, ca.cert, now);
      return problem === null ? null : { pem: issueClient(), why: problem };
    },
    logger,
  );
}

function clientProblem(pem: SecretPem, caCert: string, now: number): string | null {
  if (pem.caCert !== caCert) return 'the serving CA changed';
  try {
    if (pem.cert === undefined || pem.key === undefined) return 'missing';
    const leaf = new X509Certificate(pem.cert);
    if (!leaf.checkPrivateKey(createPrivateKey(pem.key))) return 'key does not match';
    if (!leaf.verify(new X509Certificate(caCert).publicKey)) return 'not signed by the CA';
    if (Date.parse(leaf.validTo) - now < RENEW_LEAF_MS) return `expires ${leaf.validTo}`;
  } catch (err) {
    return `unreadable (${(err as Error).message})`;
  }
  return null;
}

export type ApiServiceState =
  | { readonly kind: 'ours'; readonly caBundleCurrent: boolean }
  | { readonly kind: 'other'; readonly backend: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly error: string };

/**
 * Reads APIService `name`; when it points at `service` and `caPem` is given, makes its caBundle
 * exactly `caPem` (replace at the read resourceVersion). Never touches an APIService that points
 * elsewhere.
 */
export async function reconcileApiService(api: ApiServicesApi, name: string, service: ObjectRef, caPem: string | null): Promise<ApiServiceState> {
  let apiService: k8s.V1APIService;
  try {
    apiService = await api.readAPIService({ name });
  } catch (err) {
    if (code(err) === 404) return { kind: 'missing' };
    return { kind: 'unreadable', error: describe(err) };
  }
  const target = apiService.spec?.service;
  if (target === undefined || target === null) return { kind: 'other', backend: 'kube-apiserver itself (Local)' };
  if (target.namespace !== service.namespace || target.name !== service.name) return { kind: 'other', backend: `service ${target.namespace}/${target.name}` };
  if (caPem === null) return { kind: 'ours', caBundleCurrent: true };
  const wanted = Buffer.from(caPem).toString('base64');
  if (apiService.spec!.caBundle === wanted) return { kind: 'ours', caBundleCurrent: true };
  try {
    await api.replaceAPIService({ name, body: { ...apiService, spec: { ...apiService.spec!, caBundle: wanted, insecureSkipTLSVerify: false } } });
  } catch (err) {
    return { kind: 'unreadable', error: `cannot update its caBundle (RBAC: update on apiservices ${name}): ${describe(err)}` };
  }
  return { kind: 'ours', caBundleCurrent: false };
}

export interface KeeperOptions {
  readonly secrets: SecretsApi | null;
  readonly apiServices: ApiServicesApi | null;
  /** Secret holding the self-made certificate; null when the certificate comes from files (cert-manager). */
  readonly secret: ObjectRef | null;
  /** The Service in front of the adapter (certificate names, and what the APIService must point at). */
  readonly service: ObjectRef;
  /** Secret for KEDA's client certificate, signed by the serving CA (needs `secret`); null: none. */
  readonly clientSecret?: ObjectRef | null;
  /** APIService to check (and, with `secret`, keep the caBundle of); null: none (the keda variant). */
  readonly apiService: string | null;
  /** Where the serving pair is written for the HTTPS and gRPC servers (a tmpfs in the pod). */
  readonly certDir: string;
  readonly logger: Logger;
  /** Between rounds (default 5 min), and after a failed or incomplete one (default 10 s). */
  readonly intervalMs?: number;
  readonly retryMs?: number;
}

/** Keeps the self-made certificate and the APIService in shape; `files` is what the servers load. */
export interface ServingCertificateKeeper {
  /** Present when the adapter makes its certificate. */
  readonly files: KeyPairFiles | null;
  /** The CA of the self-made certificate (also the client CA with `clientSecret`). */
  readonly caFile: string | null;
  /** One round now (start-up does one before returning); resolves with the APIService state. */
  reconcile(): Promise<ApiServiceState | null>;
  close(): void;
}

/** The client certificate's CN: what the adapter logs as the gRPC caller. */
export const KEDA_CLIENT_NAME = 'keda';

function writePair(dir: string, pem: ServingSecret): KeyPairFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
  // Key first: the watcher reloads when either changes and checks that they match.
  writeFileAtomic(files.keyFile, pem.key);
  chmodSync(files.keyFile, 0o600);
  writeFileAtomic(files.certFile, pem.cert);
  writeFileAtomic(join(dir, 'ca.crt'), pem.caCert);
  return files;
}

/**
 * Start-up: makes or reads the Secret and writes the pair (throws if it cannot: no certificate, no
 * server), then checks the APIService. Afterwards one round per interval: a renewed Secret reaches
 * every replica, and a reset caBundle is restored.
 */
export async function startServingCertificateKeeper(options: KeeperOptions): Promise<ServingCertificateKeeper> {
  const { logger, service } = options;
  const hostnames = serviceHostnames(service);
  let lastPem: ServingSecret | null = null;
  let lastState = '';
  let files: KeyPairFiles | null = null;

  const refreshCertificate = async (): Promise<string | null> => {
    if (options.secret === null || options.secrets === null) return null;
    const pem = await ensureServingSecret(options.secrets, options.secret, hostnames, logger);
    if (options.clientSecret) await ensureClientSecret(options.secrets, options.clientSecret, { cert: pem.caCert, key: pem.caKey }, KEDA_CLIENT_NAME, logger);
    if (lastPem === null || pem.cert !== lastPem.cert || pem.key !== lastPem.key || pem.caCert !== lastPem.caCert) {
      files = writePair(options.certDir, pem);
      lastPem = pem;
    }
    return pem.caCert;
  };

  const checkApiService = async (caPem: string | null): Promise<ApiServiceState | null> => {
    if (options.apiService === null || options.apiServices === null) return null;
    const name = options.apiService;
    const state = await reconcileApiService(options.apiServices, name, service, caPem);
    const key = JSON.stringify(state);
    const changed = key !== lastState;
    lastState = key;
    const ours = `service ${service.namespace}/${service.name}`;
    if (state.kind === 'ours' && !state.caBundleCurrent) logger.info('APIService caBundle set to the serving CA', { apiService: name });
    else if (changed && state.kind === 'ours') logger.info('APIService points at this adapter', { apiService: name, service: ours });
    else if (changed && state.kind === 'other') {
      logger.warn(
        `!!! APIService ${name} POINTS AT ANOTHER BACKEND (${state.backend}), not at this adapter (${ours}). HPAs read external metrics from that ` +
          'backend, not from DeepScaler; this adapter leaves it alone. To use DeepScaler through KEDA instead, install manifests/overlays/keda ' +
          '(gRPC external scaler, no APIService); to hand the API to DeepScaler, remove the other backend and re-apply manifests/. !!!',
        { apiService: name, backend: state.backend, expected: ours },
      );
    } else if (changed && state.kind === 'missing') {
      logger.warn(
        `APIService ${name} does not exist: no HPA can reach this adapter through the aggregator (apply manifests/apiservice, or use KEDA's gRPC scaler)`,
        { apiService: name },
      );
    } else if (changed && state.kind === 'unreadable') {
      logger.warn(`cannot check APIService ${name}: ${state.error}`, { apiService: name });
    }
    return state;
  };

  const reconcile = async (): Promise<ApiServiceState | null> => checkApiService(await refreshCertificate());

  // Soon again while the APIService is absent or unreadable (a pod may start before `kubectl
  // apply` reaches it) or a round failed; otherwise once per interval.
  const interval = options.intervalMs ?? 5 * 60_000;
  const retry = Math.min(interval, options.retryMs ?? 10_000);
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const schedule = (state: ApiServiceState | null | 'failed'): void => {
    if (closed) return;
    const soon = state === 'failed' || state?.kind === 'missing' || state?.kind === 'unreadable';
    timer = setTimeout(
      () => {
        reconcile().then(schedule, (err: unknown) => {
          logger.warn('serving certificate not refreshed, keeping the current one', { error: err instanceof Error ? err.message : String(err) });
          schedule('failed');
        });
      },
      soon ? retry : interval,
    );
    timer.unref();
  };
  schedule(await reconcile());
  return {
    get files() {
      return files;
    },
    get caFile() {
      return files === null ? null : join(options.certDir, 'ca.crt');
    },
    reconcile,
    close: () => {
      closed = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}
