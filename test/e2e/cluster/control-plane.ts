/**
 * A real Kubernetes v1.20 control plane on loopback: etcd + kube-apiserver (with the aggregation
 * layer wired to a front-proxy CA) + kube-controller-manager (HPA controller syncing every 5 s).
 * No kubelet, no kube-proxy: pods stay Pending, yet Deployments' `.status.replicas` follows the HPA,
 * which is all the e2e test needs. Recipe: docs/e2e.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binary } from './binaries.js';
import { makeCa, makeLeaf, makeServiceAccountKey, type Ca, type CertPair } from './certs.js';
import { httpsGet, type TlsIdentity } from './http.js';
import { freePort, startProcess, waitFor, type Managed } from './proc.js';

export interface ControlPlane {
  /** Folder holding certificates, kubeconfigs, data and logs of this run. */
  readonly dir: string;
  readonly apiserverUrl: string;
  /** CA that signed the apiserver's serving cert and every client cert below. */
  readonly clusterCa: Ca;
  /** CA of the front-proxy client cert the aggregator presents to the adapter. */
  readonly frontProxyCa: Ca;
  /** Kubeconfig of `admin` in `system:masters`. */
  readonly adminKubeconfig: string;
  /** Kubeconfig of a user with no RBAC at all (`e2e-nobody`, group `e2e-users`). */
  readonly userKubeconfig: string;
  readonly admin: TlsIdentity;
  readonly etcd: Managed;
  apiserver: Managed;
  readonly controllerManager: Managed;
  /** Stops kube-apiserver by PID and starts it again with the same flags and port. */
  restartApiserver(): Promise<void>;
  /** Writes a kubeconfig that authenticates with a bearer token (e.g. a ServiceAccount's). */
  tokenKubeconfig(name: string, token: string): string;
  /** Stops everything by PID; removes the folder unless E2E_KEEP=1. */
  stop(): Promise<void>;
}

function kubeconfig(path: string, server: string, ca: string, user: string, auth: { cert: string; key: string } | { token: string }): string {
  const userLines = 'token' in auth ? [`    token: ${auth.token}`] : [`    client-certificate: ${auth.cert}`, `    client-key: ${auth.key}`];
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: e2e',
      '  cluster:',
      `    server: ${server}`,
      `    certificate-authority: ${ca}`,
      'users:',
      `- name: ${user}`,
      '  user:',
      ...userLines,
      'contexts:',
      '- name: e2e',
      '  context:',
      '    cluster: e2e',
      `    user: ${user}`,
      'current-context: e2e',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return path;
}

export interface ControlPlaneOptions {
  /** HPA controller sync period; 5 s keeps the test fast (the default is 15 s). */
  readonly hpaSyncSeconds?: number;
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'deepscaler-e2e-'));
  const pki = join(dir, 'pki');
  const logs = join(dir, 'logs');
  mkdirSync(pki);
  mkdirSync(logs);

  const clusterCa = makeCa(pki, 'cluster', 'deepscaler-e2e-cluster-ca');
  const frontProxyCa = makeCa(pki, 'front-proxy', 'deepscaler-e2e-front-proxy-ca');
  const serving = makeLeaf(pki, clusterCa, 'apiserver', {
    subject: '/CN=kube-apiserver',
    usage: 'server',
    sans: ['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'IP:10.0.0.1'],
  });
  const adminCert = makeLeaf(pki, clusterCa, 'admin', { subject: '/O=system:masters/CN=admin', usage: 'client' });
  const kcmCert = makeLeaf(pki, clusterCa, 'controller-manager', { subject: '/CN=system:kube-controller-manager', usage: 'client' });
  const nobodyCert = makeLeaf(pki, clusterCa, 'nobody', { subject: '/O=e2e-users/CN=e2e-nobody', usage: 'client' });
  const proxyClient: CertPair = makeLeaf(pki, frontProxyCa, 'front-proxy-client', { subject: '/CN=front-proxy-client', usage: 'client' });
  const sa = makeServiceAccountKey(pki);

  const etcdPort = await freePort();
  const etcdPeerPort = await freePort();
  const apiPort = await freePort();
  const apiserverUrl = `https://127.0.0.1:${apiPort}`;
  const admin: TlsIdentity = { ca: clusterCa.cert, cert: adminCert.cert, key: adminCert.key };

  const cleanup: Managed[] = [];
  const stopAll = async (): Promise<void> => {
    for (const p of [...cleanup].reverse()) await p.stop().catch(() => undefined);
  };

  try {
    const etcd = startProcess(
      'etcd',
      binary('etcd'),
      [
        '--name=e2e',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=e2e=http://127.0.0.1:${etcdPeerPort}`,
        // A throwaway store: fsync only costs time on a shared disk.
        '--unsafe-no-fsync=true',
      ],
      join(logs, 'etcd.log'),
    );
    cleanup.push(etcd);
    await waitFor(
      'etcd /health',
      async () => {
        const res = await fetch(`http://127.0.0.1:${etcdPort}/health`);
        const body = (await res.json()) as { health?: string };
        return body.health === 'true' ? true : undefined;
      },
      30_000,
      etcd,
    );

    const apiArgs = [
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      '--insecure-port=0',
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--authorization-mode=RBAC',
      `--client-ca-file=${clusterCa.cert}`,
      `--tls-cert-file=${serving.cert}`,
      `--tls-private-key-file=${serving.key}`,
      `--service-account-key-file=${sa.publicKey}`,
      `--service-account-signing-key-file=${sa.privateKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.0.0.0/24',
      // Aggregation layer: the aggregator proxies to the adapter with this client cert and passes
      // the caller in X-Remote-* headers; the adapter trusts them because the cert chains to this CA.
      `--requestheader-client-ca-file=${frontProxyCa.cert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${proxyClient.cert}`,
      `--proxy-client-key-file=${proxyClient.key}`,
    ];
    const startApiserver = async (): Promise<Managed> => {
      const p = startProcess('kube-apiserver', binary('kube-apiserver'), apiArgs, join(logs, 'kube-apiserver.log'));
      await waitFor(
        'kube-apiserver /readyz',
        async () => {
          const res = await httpsGet(`${apiserverUrl}/readyz`, admin);
          return res.status === 200 ? true : undefined;
        },
        120_000,
        p,
      );
      return p;
    };
    let apiserver = await startApiserver();
    cleanup.push(apiserver);

    const adminKubeconfig = kubeconfig(join(dir, 'admin.kubeconfig'), apiserverUrl, clusterCa.cert, 'admin', adminCert);
    const userKubeconfig = kubeconfig(join(dir, 'nobody.kubeconfig'), apiserverUrl, clusterCa.cert, 'e2e-nobody', nobodyCert);
    const kcmKubeconfig = kubeconfig(join(dir, 'controller-manager.kubeconfig'), apiserverUrl, clusterCa.cert, 'kcm', kcmCert);

    const hpaSync = opts.hpaSyncSeconds ?? 5;
    const controllerManager = startProcess(
      'kube-controller-manager',
      binary('kube-controller-manager'),
      [
        `--kubeconfig=${kcmKubeconfig}`,
        '--port=0',
        '--bind-address=127.0.0.1',
        // No HTTPS endpoint: nothing here reads it, and the default port 10257 (and the self-signed
        // cert it would write under /var/run/kubernetes) could clash with another run.
        '--secure-port=0',
        '--leader-elect=false',
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${sa.privateKey}`,
        `--root-ca-file=${clusterCa.cert}`,
        // Controllers that need nodes, a cloud or kube-proxy are off: nothing here would serve them.
        '--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service,-route,-attachdetach,-persistentvolume-binder,-persistentvolume-expander',
        `--horizontal-pod-autoscaler-sync-period=${hpaSync}s`,
      ],
      join(logs, 'kube-controller-manager.log'),
    );
    cleanup.push(controllerManager);
    // The `default` ServiceAccount appearing means the controllers are running (7-12 s measured).
    await waitFor(
      'default ServiceAccount (controller-manager up)',
      async () => {
        const res = await httpsGet(`${apiserverUrl}/api/v1/namespaces/default/serviceaccounts/default`, admin);
        return res.status === 200 ? true : undefined;
      },
      120_000,
      controllerManager,
    );

    const plane: ControlPlane = {
      dir,
      apiserverUrl,
      clusterCa,
      frontProxyCa,
      adminKubeconfig,
      userKubeconfig,
      admin,
      etcd,
      apiserver,
      controllerManager,
      async restartApiserver(): Promise<void> {
        await apiserver.stop();
        apiserver = await startApiserver();
        plane.apiserver = apiserver;
        const idx = cleanup.findIndex((p) => p.name === 'kube-apiserver');
        if (idx >= 0) cleanup[idx] = apiserver;
      },
      tokenKubeconfig(name: string, token: string): string {
        return kubeconfig(join(dir, `${name}.kubeconfig`), apiserverUrl, clusterCa.cert, name, { token });
      },
      async stop(): Promise<void> {
        await stopAll();
        if (process.env['E2E_KEEP'] !== '1') rmSync(dir, { recursive: true, force: true });
      },
    };
    return plane;
  } catch (e) {
    await stopAll();
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`${msg}\n(e2e files kept in ${dir})`, { cause: e });
  }
}
