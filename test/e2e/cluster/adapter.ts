/**
 * The adapter as users run it: `node dist/src/cli/main.js serve ...` as its own process with the
 * shipped Deployment's own arguments (read with kubectl kustomize from the manifests directory), so
 * it makes its serving certificate the way it does in a pod (--cert-secret) and keeps the
 * APIService's caBundle (--apiservice). Only what a process on 127.0.0.1 needs differs: the bind
 * address, free ports, a certificate folder in the run directory, the test's configuration and the
 * ServiceAccount kubeconfig (authentication then comes from kube-system/extension-apiserver-authentication
 * like in a pod).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpsGet, type HttpResult, type TlsIdentity } from './http.js';
import { freePort, startProcess, waitFor, type Managed } from './proc.js';
import { ADAPTER_NAMESPACE, ADAPTER_SERVICE, REPO_ROOT, kustomize } from './register.js';

/** The name the aggregator (and Prometheus) verify the adapter's certificate for. */
export const ADAPTER_HOSTNAME = `${ADAPTER_SERVICE}.${ADAPTER_NAMESPACE}.svc`;

export interface RunningAdapter {
  readonly url: string;
  readonly port: number;
  readonly grpcPort: number;
  /** CA of the serving certificate the adapter made (what it put into the APIService caBundle). */
  readonly caFile: string;
  readonly args: readonly string[];
  readonly proc: Managed;
  /** GET on the adapter itself (not through the aggregator) with the given client identity. */
  get(path: string, id: Omit<TlsIdentity, 'ca'>): Promise<HttpResult>;
  stop(): Promise<void>;
}

export interface AdapterOptions {
  readonly dir: string;
  /** Names the log and certificate folder (two adapters may run in one test). */
  readonly name?: string;
  /** Whose Deployment arguments to use: a kustomization directory (manifests/, an overlay). */
  readonly manifests: string;
  readonly configFile: string;
  /** Kubeconfig of the adapter's ServiceAccount. */
  readonly kubeconfig: string;
  /** The HTTPS port (chosen beforehand when the APIService must name it). */
  readonly port?: number;
}

/** Flags of the pod that a process on loopback replaces. */
const POD_ONLY = ['--config', '--bind-address', '--secure-port', '--cert-dir'];

export function deploymentArgs(manifests: string): string[] {
  const deployment = kustomize(manifests).find((o) => o.kind === 'Deployment' && o.metadata.name === ADAPTER_SERVICE);
  if (deployment === undefined) throw new Error(`e2e: ${manifests} has no Deployment ${ADAPTER_SERVICE}`);
  const spec = deployment['spec'] as { template: { spec: { containers: { args?: string[] }[] } } };
  return spec.template.spec.containers[0]?.args ?? [];
}

export async function startAdapter(opts: AdapterOptions): Promise<RunningAdapter> {
  const name = opts.name ?? 'adapter';
  const shipped = deploymentArgs(opts.manifests);
  if (shipped[0] !== 'serve') throw new Error(`e2e: the Deployment in ${opts.manifests} does not run serve: ${shipped.join(' ')}`);
  const port = opts.port ?? (await freePort());
  const grpcPort = await freePort();
  const certDir = join(opts.dir, `${name}-certs`);
  // Files the pod finds in its --cert-dir (e.g. --grpc-client-ca-file=<cert-dir>/ca.crt) are in this run's folder here.
  const podCertDir = shipped.find((a) => a.startsWith('--cert-dir='))?.split('=')[1];
  const kept = shipped
    .slice(1)
    .filter((a) => !POD_ONLY.includes(a.split('=')[0]!))
    .map((a) => (podCertDir !== undefined ? a.replace(`=${podCertDir}/`, `=${certDir}/`) : a));
  const url = `https://127.0.0.1:${port}`;
  const main = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  const args = [
    main,
    'serve',
    ...kept,
    `--config=${opts.configFile}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${certDir}`,
    `--kubeconfig=${opts.kubeconfig}`,
    `--grpc-port=${grpcPort}`,
  ];
  writeFileSync(join(opts.dir, `${name}.cmd`), `node ${args.join(' ')}\n`);
  const proc = startProcess(name, process.execPath, args, join(opts.dir, `${name}.log`), {
    cwd: opts.dir,
    env: { ...process.env, LOG_LEVEL: process.env['E2E_ADAPTER_LOG_LEVEL'] ?? 'info' },
  });
  const caFile = join(certDir, 'ca.crt');
  const get = (path: string, id: Omit<TlsIdentity, 'ca'>): Promise<HttpResult> =>
    httpsGet(`${url}${path}`, { ca: caFile, servername: ADAPTER_HOSTNAME, ...id }, 10_000);
  await waitFor(
    `${name} /readyz`,
    async () => {
      const r = await get('/readyz', {}).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    },
    120_000,
    proc,
    500,
  );
  return { url, port, grpcPort, caFile, args: kept, proc, get, stop: () => proc.stop() };
}
