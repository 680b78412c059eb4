/**
 * SLOW, OPT-IN: the built container image, run with podman under the Deployment's own security
 * settings (read from manifests/base/deployment.yaml: read-only root filesystem, an emptyDir-like
 * tmpfs on /tmp, every capability dropped, no privilege escalation, uid/gid 1000), serves: /healthz
 * answers, the log names the wasm backend, and a metric query with a client certificate returns
 * every service's desired replicas. Runs only with DEEPSCALER_IMAGE=<image> (a CI step after
 * `bash test/image/build.sh`); podman runs with runc (crun fails on hybrid cgroups) and explicit
 * ulimits (its defaults exceed what this host lets a container set).
 */
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { freePort, waitFor } from '../e2e/cluster/proc.js';
import { httpsGet } from '../support/https-client.js';
import { makeCa, makeClientCert, tempDir, writeKeyPair } from '../support/pki.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const image = process.env['DEEPSCALER_IMAGE'];

interface ContainerSpec {
  securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface DeploymentSpec {
  spec: {
    template: {
      spec: {
        securityContext: { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean };
        containers: ContainerSpec[];
        volumes: { name: string; emptyDir?: { sizeLimit?: string } }[];
      };
    };
  };
}

/** podman flags for the shipped Deployment's pod and container security settings. */
export function podmanSecurityFlags(deployment: DeploymentSpec): string[] {
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;
  const flags: string[] = [];
  if (container.securityContext.readOnlyRootFilesystem === true) flags.push('--read-only', '--read-only-tmpfs=false');
  for (const cap of container.securityContext.capabilities?.drop ?? []) flags.push(`--cap-drop=${cap}`);
  if (container.securityContext.allowPrivilegeEscalation === false) flags.push('--security-opt=no-new-privileges');
  if (pod.securityContext.runAsUser !== undefined)
    flags.push(`--user=${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup ?? pod.securityContext.runAsUser}`);
  for (const mount of container.volumeMounts) {
    const volume = pod.volumes.find((v) => v.name === mount.name);
    if (volume?.emptyDir !== undefined)
      flags.push(`--tmpfs=${mount.mountPath}:rw,size=${(volume.emptyDir.sizeLimit ?? '64Mi').replace(/i$/, '').toLowerCase()}`);
  }
  return flags;
}

function podman(args: readonly string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('podman', [...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: stdout + stderr });
    });
  });
}

(image !== undefined ? describe : describe.skip)(`the container image (DEEPSCALER_IMAGE=${image ?? ''}) under the Deployment's security settings`, function () {
  this.timeout(180_000);
  const name = `deepscaler-image-test-${process.pid}`;
  const dir = tempDir('deepscaler-image-');
  let url = '';
  let serverCa = '';
  let flags: string[] = [];
  const ca = makeCa('deepscaler-image-test-client-ca');
  const admin = makeClientCert(ca, 'image-test-admin', ['system:masters']);

  before(async function () {
    const deployment = parseYaml(readFileSync(join(REPO, 'manifests', 'base', 'deployment.yaml'), 'utf8')) as DeploymentSpec;
    flags = podmanSecurityFlags(deployment);
    writeKeyPair(dir, 'client-ca', ca);
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    const port = await freePort();
    url = `https://127.0.0.1:${port}`;
    const run = await podman([
      'run',
      '--detach',
      '--rm',
      `--name=${name}`,
      '--runtime=runc',
      '--network=host',
      '--ulimit=nofile=4096:4096',
      '--ulimit=nproc=4096:4096',
      ...flags,
      `--volume=${dir}:/etc/deepscaler-test:ro`,
      image!,
      // The image's default command with a free port and a client CA this test holds a certificate of;
      // the default configuration replays the shipped Online Boutique data (no Prometheus here).
      'serve',
      `--secure-port=${port}`,
      '--grpc-port=0',
      '--step-interval=1',
      '--client-ca-file=/etc/deepscaler-test/client-ca.crt',
    ]);
    if (run.code !== 0) throw new Error(`podman run failed: ${run.out}`);
  });

  after(async function () {
    const logs = await podman(['logs', name]);
    if (this.currentTest?.state === 'failed' || process.env['IMAGE_TEST_LOGS'] === '1') process.stderr.write(logs.out);
    await podman(['rm', '--force', '--time=2', name]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs with a read-only root, a tmpfs /tmp, no capabilities and a non-root uid, as the Deployment asks', async function () {
    expect(flags).to.include.members(['--read-only', '--cap-drop=ALL', '--user=1000:1000', '--security-opt=no-new-privileges']);
    expect(flags.some((f) => f.startsWith('--tmpfs=/tmp:'))).to.equal(true);
    const uid = await podman(['exec', name, 'node', '-e', 'process.stdout.write(String(process.getuid()))']);
    expect(uid.out.trim()).to.equal('1000');
    const write = await podman(['exec', name, 'node', '-e', 'require("fs").writeFileSync("/app/probe", "x")']);
    expect(write.code, 'the root filesystem must be read-only').to.not.equal(0);
    expect(write.out).to.match(/EROFS|read-only/);
  });

  it('makes its serving certificate in the tmpfs, answers /healthz and logs the wasm backend', async function () {
    // The certificate the image made for itself (DEEPSCALER_CERT_DIR on the tmpfs): the client trusts exactly it.
    serverCa = await waitFor(
      'the self-made serving certificate',
      async () => {
        const r = await podman(['exec', name, 'cat', '/tmp/deepscaler/certs/tls.crt']);
        return r.code === 0 && r.out.includes('BEGIN CERTIFICATE') ? r.out : undefined;
      },
      120_000,
      undefined,
      500,
    );
    const health = await waitFor(
      'the container to answer /healthz',
      async () => {
        const r = await httpsGet(`${url}/healthz`, { ca: serverCa }).catch(() => undefined);
        return r?.status === 200 ? r : undefined;
      },
      120_000,
      undefined,
      500,
    ).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}\n${(await podman(['logs', name])).out}`);
    });
    expect(health.text).to.equal('ok');
    // The API answers before the model has loaded (no request waits on it), so the backend line may come later.
    const backend = await waitFor(
      'the tensorflow.js backend line in the logs',
      async () => (await podman(['logs', name])).out.split('\n').find((l) => l.includes('tensorflow.js backend selected')),
      120_000,
      undefined,
      500,
    );
    expect(JSON.parse(backend) as { backend: string }).to.include({ backend: 'wasm' });
  });

  it('serves every Online Boutique service through the external metrics API to a client certificate', async function () {
    const path = '/apis/external.metrics.k8s.io/v1beta1/namespaces/online-boutique/deepscaler_desired_replicas';
    const list = await waitFor(
      'a metric answer',
      async () => {
        const r = await httpsGet(`${url}${path}`, { ca: serverCa, cert: admin.cert, key: admin.key });
        return r.status === 200 ? (r.json() as { kind: string; items: { value: string; metricLabels: { service: string } }[] }) : undefined;
      },
      60_000,
      undefined,
      500,
    );
    expect(list.kind).to.equal('ExternalMetricValueList');
    expect(list.items).to.have.length(10);
    for (const item of list.items) expect(Number(item.value)).to.be.at.least(1);
    const anonymous = await httpsGet(`${url}${path}`, { ca: serverCa });
    expect(anonymous.status, anonymous.text).to.equal(403); // authenticated as system:anonymous, then not authorized
  });
});
