/**
 * The adapter against the real things it is built for: kube-apiserver's aggregation layer, the HPA
 * controller in kube-controller-manager, kubectl and Prometheus (v1.20 / 2.42 from Debian, on
 * loopback). What each step proves is in docs/e2e.md. Needs `bash test/e2e/cluster/build.sh` once.
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { makeClients, rejection, unary } from '../unit/grpc/support.js';
import { ADAPTER_HOSTNAME, startAdapter, type RunningAdapter } from './cluster/adapter.js';
import { missingBinaries } from './cluster/binaries.js';
import { makeLeaf } from './cluster/certs.js';
import { startControlPlane, type ControlPlane } from './cluster/control-plane.js';
import { kubectl, kubectlOk } from './cluster/kubectl.js';
import { promtoolCheckRules, startScrapingPrometheus, type ScrapingPrometheus } from './cluster/prometheus.js';
import { freePort, waitFor } from './cluster/proc.js';
import {
  ADAPTER_NAMESPACE,
  ADAPTER_SERVICE_ACCOUNT,
  REPO_ROOT,
  applyIdentityFromManifests,
  kustomize,
  registerAdapter,
  serviceAccountToken,
  toYaml,
  waitApiServiceAvailable,
} from './cluster/register.js';

const APP_NS = 'e2e-shop';
const METRIC = 'deepscaler_desired_replicas';
const GV = '/apis/external.metrics.k8s.io/v1beta1';
const METRIC_PATH = `${GV}/namespaces/${APP_NS}/${METRIC}`;
const FRONTEND = `${METRIC_PATH}?labelSelector=${encodeURIComponent('service=frontend')}`;

/** CPU request of every test Deployment; with targetUtilization 1 one pod carries 0.1 cores. */
const CPU_REQUEST = '100m';
/** Replay phases for frontend (cores): low → 3 replicas, high → 8 replicas. cartservice stays at 2. */
const LOW = 0.25;
const HIGH = 0.75;

interface MetricList {
  kind: string;
  items: { metricName: string; metricLabels: Record<string, string>; value: string; timestamp: string }[];
}

/**
 * A JSON Lines dataset the adapter replays one step per second: warm-up and a first stretch low,
 * then 45 s high, then 45 s low, looping — load that goes up and down, with phases long enough for
 * the HPA (5 s sync) to catch up.
 */
function writeDataset(path: string): void {
  const phases: [number, number][] = [
    [30, LOW], // warm-up (history for the forecaster, read at start-up)
    [15, LOW],
    [45, HIGH],
    [45, LOW],
  ];
  const frontend = phases.flatMap(([n, v]) => Array<number>(n).fill(v));
  const start = Date.UTC(2026, 0, 1);
  const header = {
    format: 'deepscaler-dataset',
    version: 1,
    stepSeconds: 30,
    start: new Date(start).toISOString(),
    length: frontend.length,
    services: ['cartservice', 'frontend'],
    features: ['req', 'cpu_cores', 'pod'],
    units: { req: 'requests/s', cpu_cores: 'cores', pod: 'replicas' },
  };
  const lines = [JSON.stringify(header)];
  frontend.forEach((cpu, k) => {
    lines.push(
      JSON.stringify({
        time: new Date(start + k * 30_000).toISOString(),
        values: [
          [20, 0.15, 2],
          [cpu * 100, cpu, cpu === HIGH ? 8 : 3],
        ],
      }),
    );
  });
  writeFileSync(path, lines.join('\n') + '\n');
}

function adapterConfig(datasetPath: string): string {
  return [
    'applications:',
    `  - name: e2e-shop`,
    `    namespace: ${APP_NS}`,
    '    services: [cartservice, frontend]',
    '    source:',
    '      kind: replay',
    `      path: ${datasetPath}`,
    '      stepIntervalSeconds: 1',
    '      warmupSteps: 30',
    // Persistence with the calibration pinned at 1: the served count is exactly ceil(cpu / 0.1), easy to reason about.
    '    baseline: persistence',
    '    baselineHorizon: 4',
    '    stepSeconds: 30',
    '    capacity:',
    '      targetUtilization: 1',
    '      fromDeployments: true',
    '    minReplicas: 1',
    '    maxReplicas: 20',
    '    lookAhead:',
    '      podStartupSeconds: 30',
    '      hpaSyncSeconds: 5',
    '    calibration:',
    '      minCorrection: 1',
    '      maxCorrection: 1',
    '    fallback:',
    '      policy: last-value',
    '      maxAgeSeconds: 600',
    '',
  ].join('\n');
}

function deployment(name: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: APP_NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        // No kubelet runs: the image is never pulled; the pods stay Pending.
        spec: { containers: [{ name, image: 'registry.invalid/e2e/none:0', resources: { requests: { cpu: CPU_REQUEST } } }] },
      },
    },
  };
}

/** The shipped example's shape on v1.20's autoscaling/v2beta2, with fast behavior for the test. */
function hpa(name: string): object {
  return {
    apiVersion: 'autoscaling/v2beta2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: APP_NS },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: 1,
      maxReplicas: 20,
      metrics: [
        {
          type: 'External',
          external: {
            metric: { name: METRIC, selector: { matchLabels: { service: name } } },
            target: { type: 'AverageValue', averageValue: '1' },
          },
        },
      ],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 100, periodSeconds: 5 }] },
        scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 5 }] },
      },
    },
  };
}

function runNode(args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...args], { cwd: REPO_ROOT }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: stdout + stderr });
    });
  });
}

describe('the adapter in a real Kubernetes v1.20 control plane (aggregator, HPA controller, kubectl, Prometheus)', function () {
  let plane: ControlPlane;
  let adapter: RunningAdapter;
  let prom: ScrapingPrometheus | undefined;
  let runDir: string;
  let failed = false;

  /** The adapter's own answer for frontend, asked directly as admin (system:masters). */
  async function servedDirect(path = FRONTEND): Promise<MetricList> {
    const r = await adapter.get(path, { cert: plane.admin.cert!, key: plane.admin.key! });
    if (r.status !== 200) throw new Error(`adapter answered ${r.status}: ${r.body}`);
    return JSON.parse(r.body) as MetricList;
  }
  async function servedReplicas(): Promise<number> {
    const list = await servedDirect();
    return Number(list.items[0]?.value);
  }
  async function statusReplicas(name: string): Promise<number> {
    const out = await kubectlOk(plane.adminKubeconfig, ['-n', APP_NS, 'get', 'deployment', name, '-o', 'jsonpath={.status.replicas}']);
    return Number(out.trim() || '0');
  }

  before(async function () {
    this.timeout(300_000);
    const missing = missingBinaries();
    if (missing.length > 0) {
      throw new Error(`missing ${missing.join(', ')}: run \`bash test/e2e/cluster/build.sh\` first (once; cached in ~/.cache/deepscaler)`);
    }
    plane = await startControlPlane({ hpaSyncSeconds: 5 });
    runDir = plane.dir;
    const admin = plane.adminKubeconfig;

    // Identity and RBAC exactly as shipped; the adapter runs with nothing but its ServiceAccount.
    await applyIdentityFromManifests(admin);
    const token = await serviceAccountToken(admin, ADAPTER_NAMESPACE, ADAPTER_SERVICE_ACCOUNT);
    const adapterKubeconfig = plane.tokenKubeconfig('adapter-sa', token);

    // The application the adapter plans for: Deployments with CPU requests (read by the adapter).
    await kubectlOk(admin, ['create', 'namespace', APP_NS]);
    await kubectlOk(admin, ['apply', '-f', '-'], toYaml([deployment('frontend'), deployment('cartservice')]));

    const dataset = join(runDir, 'dataset.jsonl');
    writeDataset(dataset);
    const configFile = join(runDir, 'adapter-config.yaml');
    writeFileSync(configFile, adapterConfig(dataset));
    // The default install path, no certificate step: the shipped APIService (no caBundle), then the
    // adapter with the shipped Deployment's arguments. It makes its certificate (Secret
    // deepscaler/deepscaler-adapter-tls) and sets the caBundle itself; only then can it be Available.
    const port = await freePort();
    await registerAdapter(admin, port);
    adapter = await startAdapter({ dir: runDir, manifests: join(REPO_ROOT, 'manifests'), configFile, kubeconfig: adapterKubeconfig, port });
    await waitApiServiceAvailable(admin, 90_000);

    // Prometheus scrapes from the start so rate() windows fill while the other tests run. It
    // scrapes as a user bound to the shipped deepscaler-metrics-reader ClusterRole.
    const promCert = makeLeaf(join(runDir, 'pki'), plane.clusterCa, 'prometheus', { subject: '/CN=e2e-prometheus', usage: 'client' });
    await kubectlOk(admin, ['create', 'clusterrolebinding', 'e2e-prometheus-metrics', '--clusterrole=deepscaler-metrics-reader', '--user=e2e-prometheus']);
    const promDir = join(runDir, 'prometheus');
    mkdirSync(promDir, { recursive: true });
    prom = await startScrapingPrometheus(
      promDir,
      [
        {
          job: 'deepscaler-adapter',
          target: `127.0.0.1:${adapter.port}`,
          scheme: 'https',
          caFile: adapter.caFile,
          serverName: ADAPTER_HOSTNAME,
          certFile: promCert.cert,
          keyFile: promCert.key,
        },
      ],
      { intervalSeconds: 1, ruleFiles: [join(REPO_ROOT, 'manifests', 'monitoring', 'alert-rules.yaml')] },
    );
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(60_000);
    await prom?.stop();
    await adapter?.stop();
    if (plane === undefined) return;
    if (failed || process.env['E2E_KEEP'] === '1') {
      process.env['E2E_KEEP'] = '1';
      process.stderr.write(`e2e: logs, certificates and kubeconfigs kept in ${plane.dir}\n`);
    }
    await plane.stop();
  });

  it('builds the manifests with kubectl 1.20 kustomize and the API server accepts every object of the base', async function () {
    const base = kustomize(join(REPO_ROOT, 'manifests'));
    const kinds = new Set(base.map((o) => o.kind));
    for (const k of [
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'APIService',
    ]) {
      expect(kinds, `manifests/ should contain a ${k}`).to.include(k);
    }
    const certManager = kustomize(join(REPO_ROOT, 'manifests', 'overlays', 'cert-manager'));
    const apiService = certManager.find((o) => o.kind === 'APIService');
    expect((apiService?.metadata['annotations'] as Record<string, string> | undefined)?.['cert-manager.io/inject-ca-from']).to.equal(
      'deepscaler/deepscaler-adapter-tls',
    );
    const operator = kustomize(join(REPO_ROOT, 'manifests', 'overlays', 'prometheus-operator'));
    expect(operator.map((o) => o.kind)).to.include.members(['ServiceMonitor', 'PrometheusRule']);

    // Server-side dry run validates every field against v1.20's schemas. v1.20 predates policy/v1
    // and batch/v1 CronJob (same specs in v1beta1); the APIService is left out so the dry run cannot
    // touch the registered one. The model-lifecycle overlay (volume, retrain CronJob) goes through too.
    const v1beta1 = { PodDisruptionBudget: 'policy/v1beta1', CronJob: 'batch/v1beta1' } as Record<string, string>;
    const on120 = (objects: typeof base): typeof base =>
      objects.filter((o) => o.kind !== 'APIService').map((o) => (v1beta1[o.kind] === undefined ? o : { ...o, apiVersion: v1beta1[o.kind]! }));
    const r = await kubectl(plane.adminKubeconfig, ['apply', '--dry-run=server', '-f', '-'], toYaml(on120(base)));
    expect(r.code, r.stderr).to.equal(0);
    const lifecycle = kustomize(join(REPO_ROOT, 'manifests', 'overlays', 'model-lifecycle'));
    expect(lifecycle.map((o) => o.kind)).to.include.members(['CronJob', 'PersistentVolumeClaim']);
    const rl = await kubectl(plane.adminKubeconfig, ['apply', '--dry-run=server', '-f', '-'], toYaml(on120(lifecycle)));
    expect(rl.code, rl.stderr).to.equal(0);
    const apiSvc = base.find((o) => o.kind === 'APIService')!;
    const r2 = await kubectl(
      plane.adminKubeconfig,
      ['create', '--dry-run=server', '-f', '-'],
      toYaml([
        {
          ...apiSvc,
          metadata: { ...apiSvc.metadata, name: 'v1beta1.dryrun.example.com' },
          spec: { ...(apiSvc['spec'] as object), group: 'dryrun.example.com' },
        },
      ]),
    );
    expect(r2.code, r2.stderr).to.equal(0);
  });

  it('reaches APIService Available with no manual certificate step: the adapter made its certificate and set the caBundle', async function () {
    const admin = plane.adminKubeconfig;
    const secret = JSON.parse(await kubectlOk(admin, ['-n', ADAPTER_NAMESPACE, 'get', 'secret', 'deepscaler-adapter-tls', '-o', 'json'])) as {
      type: string;
      data: Record<string, string>;
    };
    expect(secret.type).to.equal('kubernetes.io/tls');
    const ca = Buffer.from(secret.data['ca.crt']!, 'base64').toString('utf8');
    expect(ca).to.equal(readFileSync(adapter.caFile, 'utf8'));
    const apiService = JSON.parse(await kubectlOk(admin, ['get', 'apiservice', 'v1beta1.external.metrics.k8s.io', '-o', 'json'])) as {
      spec: { caBundle?: string };
      status: { conditions: { type: string; status: string }[] };
    };
    expect(apiService.spec.caBundle).to.equal(secret.data['ca.crt']);
    expect(apiService.status.conditions.find((c) => c.type === 'Available')?.status).to.equal('True');
    // The certificate the aggregator verified is the one in the Secret, for <service>.<namespace>.svc.
    const leaf = new X509Certificate(Buffer.from(secret.data['tls.crt']!, 'base64'));
    expect(leaf.checkHost(ADAPTER_HOSTNAME)).to.equal(ADAPTER_HOSTNAME);
    expect(leaf.verify(new X509Certificate(ca).publicKey)).to.equal(true);
    expect(adapter.proc.tail()).to.not.contain('POINTS AT ANOTHER BACKEND');
  });

  it('the keda variant installs no APIService, leaves the registered one alone, and serves KEDA over mutual TLS with a client certificate it issued', async function () {
    this.timeout(180_000);
    const admin = plane.adminKubeconfig;
    const variantDir = join(REPO_ROOT, 'manifests', 'overlays', 'keda');
    const variant = kustomize(variantDir);
    expect(variant.filter((o) => o.kind === 'APIService')).to.deep.equal([]);
    const args = variant.find((o) => o.kind === 'Deployment');
    expect(JSON.stringify(args)).to.not.contain('--apiservice');

    // Every APIService with what it routes to and trusts (status may change on its own).
    const apiServices = async (): Promise<string> =>
      kubectlOk(admin, ['get', 'apiservices', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.service} {.spec.caBundle}{"\\n"}{end}']);
    const before = await apiServices();
    // The variant's RBAC as shipped (its Role in KEDA's namespace included). Its Service and
    // Deployment stay out: this cluster reaches the adapter through the ExternalName Service.
    await kubectlOk(admin, ['create', 'namespace', 'keda']);
    const rbacKinds = new Set(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    await kubectlOk(admin, ['apply', '-f', '-'], toYaml(variant.filter((o) => rbacKinds.has(o.kind))));

    // The adapter as the variant runs it, with only its ServiceAccount (and the variant's RBAC).
    const token = await serviceAccountToken(admin, ADAPTER_NAMESPACE, ADAPTER_SERVICE_ACCOUNT);
    const kedaAdapter = await startAdapter({
      dir: runDir,
      name: 'adapter-keda',
      manifests: variantDir,
      configFile: join(runDir, 'adapter-config.yaml'),
      kubeconfig: plane.tokenKubeconfig('adapter-sa-keda', token),
    });
    try {
      const client = JSON.parse(await kubectlOk(admin, ['-n', 'keda', 'get', 'secret', 'deepscaler-keda-client', '-o', 'json'])) as {
        data: Record<string, string>;
      };
      const pem = (k: string): Buffer => Buffer.from(client.data[k]!, 'base64');
      expect(pem('ca.crt').toString()).to.equal(readFileSync(kedaAdapter.caFile, 'utf8'));

      const health = (credentials: grpc.ChannelCredentials): Promise<unknown> => {
        const c = makeClients(kedaAdapter.grpcPort, credentials, {
          'grpc.ssl_target_name_override': ADAPTER_HOSTNAME,
          'grpc.use_local_subchannel_pool': 1,
        }).health;
        return unary(c, 'Check', { service: '' }).finally(() => c.close());
      };
      // KEDA's view: the ClusterTriggerAuthentication's three keys.
      expect(await health(grpc.credentials.createSsl(pem('ca.crt'), pem('tls.key'), pem('tls.crt')))).to.deep.equal({ status: 'SERVING' });
      expect((await rejection(health(grpc.credentials.createSsl(pem('ca.crt'))))).code, 'no client certificate').to.equal(grpc.status.UNAVAILABLE);

      expect(await apiServices(), 'no APIService created or changed').to.equal(before);
      expect(kedaAdapter.proc.tail()).to.not.contain('APIService');
    } finally {
      await kedaAdapter.stop();
    }
  });

  it('serves discovery through the aggregator (kubectl get --raw) listing the desired-replicas metric', async function () {
    const out = await kubectlOk(plane.adminKubeconfig, ['get', '--raw', GV]);
    const list = JSON.parse(out) as { kind: string; groupVersion: string; resources: { name: string; namespaced: boolean; kind: string }[] };
    expect(list.kind).to.equal('APIResourceList');
    expect(list.groupVersion).to.equal('external.metrics.k8s.io/v1beta1');
    expect(list.resources.map((r) => r.name)).to.include(METRIC);
    expect(list.resources.every((r) => r.namespaced && r.kind === 'ExternalMetricValueList')).to.equal(true);
  });

  it('returns the adapter own values for a metric query through the aggregator (front-proxy auth and SubjectAccessReview for real)', async function () {
    const before = await servedDirect();
    const out = await kubectlOk(plane.adminKubeconfig, ['get', '--raw', FRONTEND]);
    const after = await servedDirect();
    const viaAggregator = JSON.parse(out) as MetricList;
    expect(viaAggregator.kind).to.equal('ExternalMetricValueList');
    expect(viaAggregator.items).to.have.length(1);
    expect(viaAggregator.items[0]!.metricLabels).to.deep.equal({ service: 'frontend', app: 'e2e-shop' });
    expect([before.items[0]!.value, after.items[0]!.value]).to.include(viaAggregator.items[0]!.value);

    // The whole namespace: one item per service, as the HPA's arithmetic needs.
    const all = JSON.parse(await kubectlOk(plane.adminKubeconfig, ['get', '--raw', METRIC_PATH])) as MetricList;
    expect(all.items.map((i) => i.metricLabels['service']).sort()).to.deep.equal(['cartservice', 'frontend']);
  });

  it('answers 403 to a user without RBAC, through the aggregator and from the adapter itself', async function () {
    const r = await kubectl(plane.userKubeconfig, ['get', '--raw', FRONTEND]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/Forbidden/);
    expect(r.stderr).to.contain('e2e-nobody');

    // Straight to the adapter with the same client certificate: its own SubjectAccessReview says no.
    const nobody = { cert: join(plane.dir, 'pki', 'nobody.crt'), key: join(plane.dir, 'pki', 'nobody.key') };
    const direct = await adapter.get(FRONTEND, nobody);
    expect(direct.status).to.equal(403);
    const status = JSON.parse(direct.body) as { kind: string; reason: string; message: string };
    expect(status.kind).to.equal('Status');
    expect(status.reason).to.equal('Forbidden');
  });

  it('shows the adapter Status message for a malformed label selector in kubectl', async function () {
    const bad = `${METRIC_PATH}?labelSelector=${encodeURIComponent('service in (frontend')}`;
    const direct = await adapter.get(bad, { cert: plane.admin.cert!, key: plane.admin.key! });
    expect(direct.status).to.equal(400);
    const status = JSON.parse(direct.body) as { message: string; reason: string };
    expect(status.reason).to.equal('BadRequest');

    const r = await kubectl(plane.adminKubeconfig, ['get', '--raw', bad]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('BadRequest');
    expect(r.stderr).to.contain(status.message);
  });

  it('moves a Deployment with a real autoscaling/v2beta2 HPA to the served desired replicas, up and then down', async function () {
    this.timeout(420_000);
    const admin = plane.adminKubeconfig;
    await kubectlOk(admin, ['apply', '-f', '-'], toYaml([hpa('frontend')]));
    // Record the path .status.replicas takes, for the report below (and for diagnosing a failure).
    const path: number[] = [];
    const started = Date.now();
    const steps: string[] = [];
    const tracker = setInterval(() => {
      void statusReplicas('frontend').then(
        (n) => {
          if (path[path.length - 1] !== n) {
            path.push(n);
            steps.push(`${n} @${Math.round((Date.now() - started) / 1000)}s`);
          }
        },
        () => undefined,
      );
    }, 1000);
    try {
      // Up: wait for the replay's high phase, then for the HPA to land on what is served.
      const high = await waitFor(
        'adapter to serve the high phase for frontend',
        async () => ((await servedReplicas()) >= 6 ? servedReplicas() : undefined),
        180_000,
        adapter.proc,
        1000,
      );
      expect(high).to.equal(Math.ceil(HIGH / 0.1));
      const reachedHigh = await waitFor(
        `frontend .status.replicas to reach ${high}`,
        async () => ((await statusReplicas('frontend')) === high ? true : undefined),
        40_000,
        plane.controllerManager,
        1000,
      );
      expect(reachedHigh).to.equal(true);

      // Down: the low phase follows; the HPA (scale-down window 0) follows it down.
      const low = await waitFor(
        'adapter to serve the low phase for frontend',
        async () => ((await servedReplicas()) <= 4 ? servedReplicas() : undefined),
        120_000,
        adapter.proc,
        1000,
      );
      expect(low).to.equal(Math.ceil(LOW / 0.1));
      await waitFor(
        `frontend .status.replicas to come down to ${low}`,
        async () => ((await statusReplicas('frontend')) === low ? true : undefined),
        40_000,
        plane.controllerManager,
        1000,
      );

      // Settled: the HPA's next sync reads the served count over as many replicas, average exactly
      // 1, and reports the metric active. (Ask for v2beta2: kubectl 1.20 reads HPAs as autoscaling/v1,
      // where conditions are only an annotation.)
      type HpaStatus = {
        desiredReplicas?: number;
        conditions?: { type: string; status: string; reason: string }[];
        currentMetrics?: { external?: { current?: { averageValue?: string } } }[];
      };
      const settled = await waitFor(
        'the HPA to report average value 1 at the served count',
        async () => {
          const hpaNow = JSON.parse(await kubectlOk(admin, ['-n', APP_NS, 'get', 'hpa.v2beta2.autoscaling', 'frontend', '-o', 'json'])) as {
            status: HpaStatus;
          };
          const st = hpaNow.status;
          return st.currentMetrics?.[0]?.external?.current?.averageValue === '1' && st.desiredReplicas === low ? st : undefined;
        },
        30_000,
        plane.controllerManager,
        1000,
      );
      const active = settled.conditions?.find((c) => c.type === 'ScalingActive');
      expect(active?.status, JSON.stringify(settled.conditions)).to.equal('True');
    } finally {
      clearInterval(tracker);
      process.stderr.write(`      frontend .status.replicas over time: ${steps.join(' → ')}\n`);
    }
  });

  it('writes an Event on the Deployment when the served count moves, saying why (kubectl describe shows it)', async function () {
    this.timeout(60_000);
    const admin = plane.adminKubeconfig;
    type EventList = {
      items: { reason: string; message: string; type: string; involvedObject: { kind: string; name: string; uid: string }; source?: { component?: string } }[];
    };
    const uid = (await kubectlOk(admin, ['-n', APP_NS, 'get', 'deployment', 'frontend', '-o', 'jsonpath={.metadata.uid}'])).trim();
    // The HPA test above moved frontend 3 → 8 → 3; the first change is written at once, later ones at most once a minute.
    const events = await waitFor(
      'a DesiredReplicasChanged Event on deployment frontend',
      async () => {
        const list = JSON.parse(
          await kubectlOk(admin, [
            '-n',
            APP_NS,
            'get',
            'events',
            '--field-selector',
            'involvedObject.name=frontend,reason=DesiredReplicasChanged',
            '-o',
            'json',
          ]),
        ) as EventList;
        return list.items.length > 0 ? list.items : undefined;
      },
      45_000,
      adapter.proc,
      1000,
    );
    const up = events.find((e) => e.message.startsWith(`desired replicas ${Math.ceil(LOW / 0.1)} → ${Math.ceil(HIGH / 0.1)}:`));
    expect(up, events.map((e) => e.message).join('\n')).to.not.equal(undefined);
    expect(up!.involvedObject).to.deep.include({ kind: 'Deployment', name: 'frontend', uid });
    expect(up!.type).to.equal('Normal');
    expect(up!.source?.component).to.equal('deepscaler-adapter');
    expect(up!.message).to.match(
      /\[reason [a-z-]+, driver cpu_cores, horizon [^,]+, demand 0\.75 cores, 0\.1 cores per pod(, risk [0-9.]+%, correction ×[0-9.]+)?, forecaster persistence/,
    );
    const described = await kubectlOk(admin, ['-n', APP_NS, 'describe', 'deployment', 'frontend']);
    expect(described).to.contain('DesiredReplicasChanged');
    process.stderr.write(`      events on frontend:\n${events.map((e) => `        ${e.reason}: ${e.message}`).join('\n')}\n`);
  });

  it('`deepscaler explain` through the aggregator prints the served decision and its reason; a user without the role gets the Forbidden Status', async function () {
    this.timeout(60_000);
    const admin = plane.adminKubeconfig;
    const explain = (kubeconfig: string, ...args: string[]) =>
      runNode([join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'), 'explain', ...args, '--kubeconfig', kubeconfig]);
    const served = await servedReplicas();
    const r = await explain(admin, APP_NS, 'frontend');
    expect(r.code, r.output).to.equal(0);
    expect(r.output).to.contain(`application e2e-shop in namespace ${APP_NS}: serving`);
    expect(r.output).to.match(/forecaster persistence/);
    // The count served at about the same moment (the replay moves on once a second, so either side of it).
    const count = Number(/ {2}frontend: (\d+) replicas?/.exec(r.output)?.[1]);
    expect([served, await servedReplicas()]).to.include(count);
    expect(r.output).to.match(new RegExp(`why: .*cpu_cores [0-9.]+ cores.* / 0\\.1 cores per pod = ${count} replicas?`));
    expect(r.output).to.match(/now: cpu [0-9.]+ forecast vs [0-9.]+ cores actual/);
    expect(r.output).to.match(/scorecard over [0-9.]+ min: under-provisioned/);
    process.stderr.write(`      deepscaler explain ${APP_NS} frontend:\n${r.output.replace(/^/gm, '        ')}\n`);

    // JSON through kubectl, and RBAC as shipped: e2e-nobody has no role, so the aggregator says no.
    const doc = JSON.parse(await kubectlOk(admin, ['get', '--raw', `${GV}/namespaces/${APP_NS}/deepscaler-explain`])) as {
      kind: string;
      applications: { services: { service: string }[] }[];
    };
    expect(doc.kind).to.equal('DeepScalerExplanation');
    expect(doc.applications[0]!.services.map((s) => s.service).sort()).to.deep.equal(['cartservice', 'frontend']);
    const denied = await explain(plane.userKubeconfig, APP_NS);
    expect(denied.code).to.equal(1);
    expect(denied.output).to.match(/answered 403: .*deepscaler-explain/);
  });

  it('keeps serving through a kube-apiserver restart and authorizes new users against the new apiserver', async function () {
    this.timeout(240_000);
    const adapterPid = adapter.proc.pid;
    await plane.restartApiserver();
    await waitApiServiceAvailable(plane.adminKubeconfig, 120_000);
    expect(adapter.proc.running(), `adapter died; log:\n${adapter.proc.tail()}`).to.equal(true);
    expect(adapter.proc.pid).to.equal(adapterPid);

    // A user bound only now: the adapter cannot have a cached decision, so a 200 proves its
    // SubjectAccessReview client talks to the restarted apiserver.
    const readerCert = makeLeaf(join(plane.dir, 'pki'), plane.clusterCa, 'reader', { subject: '/CN=e2e-reader', usage: 'client' });
    await kubectlOk(plane.adminKubeconfig, [
      'create',
      'clusterrolebinding',
      'e2e-reader',
      '--clusterrole=deepscaler-external-metrics-reader',
      '--user=e2e-reader',
    ]);
    const direct = await waitFor(
      'adapter to authorize e2e-reader after the restart',
      async () => {
        const r = await adapter.get(FRONTEND, { cert: readerCert.cert, key: readerCert.key });
        return r.status === 200 ? r : undefined;
      },
      60_000,
      adapter.proc,
      1000,
    );
    expect((JSON.parse(direct.body) as MetricList).items).to.have.length(1);
    const out = await waitFor(
      'metric query through the restarted aggregator',
      async () => kubectlOk(plane.adminKubeconfig, ['get', '--raw', FRONTEND]),
      60_000,
      undefined,
      1000,
    );
    expect((JSON.parse(out) as MetricList).items[0]!.metricName).to.equal(METRIC);
  });

  it('is scraped by a real Prometheus, and every PromQL expression of the Grafana dashboard returns data', async function () {
    this.timeout(180_000);
    const p = prom!;
    await waitFor(
      'Prometheus to scrape the adapter',
      async () => ((await p.query('up{job="deepscaler-adapter"} == 1')).length === 1 ? true : undefined),
      60_000,
      p.proc,
      1000,
    );
    const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'manifests', 'monitoring', 'grafana-dashboard.json'), 'utf8')) as {
      panels: { title: string; type: string; targets?: { expr: string }[] }[];
      templating: { list: { name: string; query?: { query?: string } | string }[] };
    };
    const exprs: { where: string; expr: string }[] = [];
    for (const panel of dashboard.panels) for (const t of panel.targets ?? []) exprs.push({ where: `panel "${panel.title}"`, expr: t.expr });
    expect(exprs.length).to.be.greaterThan(8);
    // Grafana's variables as the "All" choice and a rate window several scrapes wide.
    const concrete = (e: string): string => e.replaceAll('$namespace', '.*').replaceAll('$service', '.*').replaceAll('$__rate_interval', '30s');
    const empty: string[] = [];
    await waitFor(
      'every dashboard expression to return data',
      async () => {
        empty.length = 0;
        for (const { where, expr } of exprs) {
          const result = await p.query(concrete(expr));
          if (result.length === 0) empty.push(`${where}: ${expr}`);
        }
        return empty.length === 0 ? true : undefined;
      },
      90_000,
      p.proc,
      3000,
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\nexpressions without data:\n  ${empty.join('\n  ')}`);
    });
    // The variable queries (label_values) must find values too.
    for (const v of dashboard.templating.list) {
      const q = typeof v.query === 'string' ? v.query : v.query?.query;
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(q ?? '');
      if (m === null) continue;
      const result = await p.query(`count by (${m[2]}) (${concrete(m[1]!)})`);
      expect(result.length, `variable ${v.name}: ${q}`).to.be.greaterThan(0);
    }
  });

  it('ships alert rules that pass promtool check rules and evaluate without errors against the adapter metrics', async function () {
    this.timeout(60_000);
    const rulesFile = join(REPO_ROOT, 'manifests', 'monitoring', 'alert-rules.yaml');
    const check = await promtoolCheckRules(rulesFile);
    expect(check.code, check.output).to.equal(0);
    const rules = parseYaml(readFileSync(rulesFile, 'utf8')) as { groups: { rules: { alert: string }[] }[] };
    const names = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    for (const a of ['DeepScalerPredictionsStale', 'DeepScalerFallbackActive', 'DeepScalerAPIErrors', 'DeepScalerModelLoadFailures'])
      expect(names).to.include(a);

    // The generated files match their generator (dashboard, rules, ConfigMaps, PrometheusRule).
    const gen = await runNode([join(REPO_ROOT, 'manifests', 'monitoring', 'generate.mjs'), '--check']);
    expect(gen.code, gen.output).to.equal(0);

    // Loaded into the real Prometheus: every rule evaluated at least once and is healthy.
    const p = prom!;
    await waitFor(
      'every alert rule evaluated healthy',
      async () => {
        const res = await fetch(`${p.url}/api/v1/rules`);
        const body = (await res.json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
        const loaded = body.data.groups.flatMap((g) => g.rules);
        if (loaded.length !== names.length) return undefined;
        const bad = loaded.filter((r) => r.health !== 'ok');
        if (bad.length > 0) throw new Error(bad.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`).join('; '));
        return true;
      },
      30_000,
      p.proc,
      1000,
    );
  });
});
