/**
 * The adapter as users run it: `node dist/src/cli/main.js serve ...` as its own process, with a
 * serving certificate for `deepscaler-adapter.deepscaler.svc` and the ServiceAccount kubeconfig,
 * so authentication comes from kube-system/extension-apiserver-authentication like in a pod.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCa, makeLeaf, type Ca, type CertPair } from './certs.js';
import { httpsGet, type HttpResult, type TlsIdentity } from './http.js';
import { freePort, startProcess, waitFor, type Managed } from './proc.js';
import { ADAPTER_NAMESPACE, ADAPTER_SERVICE, REPO_ROOT } from './register.js';

export interface RunningAdapter {
  readonly url: string;
  readonly port: number;
  /** CA of the serving certificate: the APIService caBundle. */
  readonly ca: Ca;
  readonly proc: Managed;
  /** GET on the adapter itself (not through the aggregator) with the given client identity. */
  get(path: string, id: Omit<TlsIdentity, 'ca'>): Promise<HttpResult>;
  stop(): Promise<void>;
}

export interface AdapterOptions {
  readonly dir: string;
  readonly configFile: string;
  /** Kubeconfig of the adapter's ServiceAccount. */
  readonly kubeconfig: string;
  readonly extraArgs?: readonly string[];
}

export async function startAdapter(opts: AdapterOptions): Promise<RunningAdapter> {
  const ca = makeCa(opts.dir, 'adapter', 'deepscaler-e2e-adapter-ca');
  // The aggregator verifies <service>.<namespace>.svc; localhost/127.0.0.1 are for direct calls.
  const serving: CertPair = makeLeaf(opts.dir, ca, 'adapter-serving', {
    subject: `/CN=${ADAPTER_SERVICE}.${ADAPTER_NAMESPACE}.svc`,
    usage: 'server',
    sans: [`DNS:${ADAPTER_SERVICE}.${ADAPTER_NAMESPACE}.svc`, 'DNS:localhost', 'IP:127.0.0.1'],
  });
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const main = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  // The gRPC scaler listens on a fixed default port (9443); give it a free one so parallel runs
  // on this machine cannot collide.
  const help = execFileSync(process.execPath, [main, 'serve', '--help'], { encoding: 'utf8' });
  const grpcArgs = help.includes('--grpc-port')
    ? [`--grpc-port=${await freePort()}`, ...(help.includes('--grpc-bind-address') ? ['--grpc-bind-address=127.0.0.1'] : [])]
    : [];
  const args = [
    main,
    'serve',
    `--config=${opts.configFile}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${serving.cert}`,
    `--tls-private-key-file=${serving.key}`,
    `--cert-dir=${join(opts.dir, 'adapter-certs')}`,
    `--kubeconfig=${opts.kubeconfig}`,
    ...grpcArgs,
    ...(opts.extraArgs ?? []),
  ];
  writeFileSync(join(opts.dir, 'adapter.cmd'), `node ${args.join(' ')}\n`);
  const proc = startProcess('adapter', process.execPath, args, join(opts.dir, 'adapter.log'), {
    cwd: opts.dir,
    env: { ...process.env, LOG_LEVEL: process.env['E2E_ADAPTER_LOG_LEVEL'] ?? 'info' },
  });
  const get = (path: string, id: Omit<TlsIdentity, 'ca'>): Promise<HttpResult> => httpsGet(`${url}${path}`, { ca: ca.cert, ...id }, 10_000);
  await waitFor(
    'adapter /readyz',
    async () => {
      const r = await get('/readyz', {});
      return r.status === 200 ? true : undefined;
    },
    120_000,
    proc,
    500,
  );
  return { url, port, ca, proc, get, stop: () => proc.stop() };
}
