/**
 * The shipped manifests agree with the code: the ConfigMap's configuration passes the real schema,
 * the Deployment passes only flags `serve` knows, and every metric the dashboard and the alert
 * rules chart is one the adapter registers. (The e2e test proves them against a real cluster; this
 * catches drift in milliseconds.)
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { parse, parseAllDocuments } from 'yaml';
import { parseServeConfig } from '../../../src/config/schema.js';
import { LoopMetrics } from '../../../src/loop/telemetry.js';
import { ApiMetrics } from '../../../src/serving/api-metrics.js';
import { DecisionJournal } from '../../../src/explain/journal.js';
import { ScorecardMetrics } from '../../../src/explain/metrics.js';
import { SnapshotStore } from '../../../src/snapshot/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const BASE = join(ROOT, 'manifests', 'base');

interface Obj {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } };
}

function docs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj);
}

interface PatchOp {
  op: string;
  path: string;
  value: unknown;
}

/** The Deployment as kustomize builds it: deployment.yaml with the base's JSON 6902 patches (only "add" is used). */
function builtDeployment(): Record<string, unknown> {
  const deployment = structuredClone(docs(join(BASE, 'deployment.yaml')).find((o) => o.kind === 'Deployment')) as unknown as Record<string, unknown>;
  const kustomization = parse(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8')) as { patchesJson6902?: { target: { kind: string }; path: string }[] };
  for (const patch of kustomization.patchesJson6902 ?? []) {
    if (patch.target.kind !== 'Deployment') continue;
    for (const op of parse(readFileSync(join(BASE, patch.path), 'utf8')) as PatchOp[]) {
      expect(op.op, `${patch.path}: only add is applied here`).to.equal('add');
      const keys = op.path.split('/').slice(1);
      const last = keys.pop()!;
      let at: unknown = deployment;
      for (const key of keys) at = (at as Record<string, unknown>)[key];
      if (Array.isArray(at)) at.splice(last === '-' ? at.length : Number(last), 0, op.value);
      else (at as Record<string, unknown>)[last] = op.value;
    }
  }
  return deployment;
}

interface Container {
  args: string[];
  ports: { name: string; containerPort: number }[];
  volumeMounts: { name: string; mountPath: string }[];
}
function container(deployment: Record<string, unknown>): Container {
  return (deployment as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers[0]!;
}

describe('shipped manifests', () => {
  it('carry a configuration the serve command accepts', () => {
    const cm = docs(join(BASE, 'config.yaml')).find((o) => o.kind === 'ConfigMap');
    const text = cm?.data?.['config.yaml'];
    expect(text, 'ConfigMap deepscaler-config has config.yaml').to.be.a('string');
    const config = parseServeConfig(parse(text!), '/etc/deepscaler', 'manifests/base/config.yaml');
    expect(config.applications.length).to.be.greaterThan(0);
  });

  it('start the adapter only with flags the serve command defines', function () {
    this.timeout(30_000);
    const args = container(builtDeployment()).args;
    expect(args[0]).to.equal('serve');
    const help = execFileSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'serve', '--help'], { encoding: 'utf8' });
    for (const arg of args.slice(1)) {
      const flag = arg.split('=')[0]!;
      expect(help, `serve --help lists ${flag}`).to.contain(flag);
    }
  });

  it('run the retrain CronJob only with flags retrain defines, on the volume folder whose live link the adapter reads', function () {
    this.timeout(30_000);
    const dir = join(ROOT, 'manifests', 'overlays', 'model-lifecycle');
    const cron = docs(join(dir, 'cronjob-online-boutique.yaml')).find((o) => o.kind === 'CronJob') as unknown as {
      spec: { jobTemplate: { spec: { template: { spec: { containers: { args: string[] }[] } } } } };
    };
    const args = cron.spec.jobTemplate.spec.template.spec.containers[0]!.args;
    expect(args[0]).to.equal('retrain');
    const help = execFileSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'retrain', '--help'], { encoding: 'utf8' });
    for (const arg of args.slice(1)) expect(help, `retrain --help lists ${arg.split('=')[0]}`).to.contain(arg.split('=')[0]!);
    const patch = readFileSync(join(dir, 'adapter-models-volume.yaml'), 'utf8');
    const models = args.find((a) => a.startsWith('--models='))!.slice('--models='.length);
    expect(patch).to.contain(`value: ${models}/live`);
  });

  it('chart and alert only on metrics the adapter registers', () => {
    const registry = new Registry();
    new LoopMetrics(registry);
    new ApiMetrics(registry);
    new ScorecardMetrics(new DecisionJournal(new SnapshotStore(), []), registry, []);
    const known = new Set(registry.getMetricsAsArray().map((m) => m.name));
    const dashboard = readFileSync(join(ROOT, 'manifests', 'monitoring', 'grafana-dashboard.json'), 'utf8');
    const rules = readFileSync(join(ROOT, 'manifests', 'monitoring', 'alert-rules.yaml'), 'utf8');
    const used = new Set([...`${dashboard}\n${rules}`.matchAll(/\bdeepscaler_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')));
    const unknown = [...used].filter((n) => !known.has(n));
    expect(unknown, `metrics used by manifests/monitoring but not registered: ${unknown.join(', ')}`).to.deep.equal([]);
  });

  it('require a client certificate on gRPC by default, with no manual step: the CA the adapter makes itself (--cert-dir), or a mounted Secret', () => {
    const deployment = builtDeployment();
    const c = container(deployment);
    const flag = c.args.find((a) => a.startsWith('--grpc-client-ca-file='));
    expect(flag, 'the Deployment passes --grpc-client-ca-file').to.be.a('string');
    const file = flag!.split('=')[1]!;
    const certDir = c.args.find((a) => a.startsWith('--cert-dir='))?.split('=')[1];
    expect(c.args, 'the adapter makes its own certificate and CA').to.include('--cert-secret=deepscaler/deepscaler-adapter-tls');
    expect(file, 'the client CA is the self-made CA in --cert-dir').to.equal(`${certDir}/ca.crt`);
    // No volume from a Secret that someone would have to create first.
    const volumes = (deployment as { spec: { template: { spec: { volumes: { name: string; secret?: { secretName: string } }[] } } } }).spec.template.spec
      .volumes;
    expect(volumes.filter((v) => v.secret !== undefined)).to.deep.equal([]);
  });

  it('limit who reaches each container port with a NetworkPolicy: HTTPS open (authenticated), gRPC only from KEDA', () => {
    const policy = docs(join(BASE, 'networkpolicy.yaml')).find((o) => o.kind === 'NetworkPolicy') as unknown as {
      spec: { podSelector: { matchLabels: Record<string, string> }; ingress: { ports: { port: number }[]; from?: unknown[] }[] };
    };
    const kustomization = parse(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect(kustomization.resources).to.include('networkpolicy.yaml');
    expect(policy.spec.podSelector.matchLabels).to.deep.equal({ 'app.kubernetes.io/name': 'deepscaler-adapter' });
    const rule = (port: number) => policy.spec.ingress.find((r) => r.ports.some((p) => p.port === port));
    for (const p of container(builtDeployment()).ports) expect(rule(p.containerPort), `a rule for ${p.name} (${p.containerPort})`).to.not.equal(undefined);
    expect(rule(9443)!.from, 'gRPC only from selected peers').to.have.length.greaterThan(0);
  });

  it('give every alert a runbook_url whose section exists in docs/runbook.md, and alert on the APIService being unavailable', () => {
    const rules = parse(readFileSync(join(ROOT, 'manifests', 'monitoring', 'alert-rules.yaml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[];
    };
    const all = rules.groups.flatMap((g) => g.rules);
    const runbook = readFileSync(join(ROOT, 'docs', 'runbook.md'), 'utf8');
    const anchors = new Set([...runbook.matchAll(/^## (\S+)$/gm)].map((m) => m[1]!.toLowerCase()));
    for (const rule of all) {
      const url = rule.annotations['runbook_url'];
      expect(url, `${rule.alert} has a runbook_url`).to.be.a('string');
      expect(anchors, `${url} has a section in docs/runbook.md`).to.include(url!.split('#')[1]);
    }
    const apiService = all.find((r) => r.expr.includes('aggregator_unavailable_apiservice'));
    expect(apiService?.expr).to.contain('name="v1beta1.external.metrics.k8s.io"');
  });

  it('chart CPU in cores, not the unitless `short`', () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'manifests', 'monitoring', 'grafana-dashboard.json'), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[]; fieldConfig?: { defaults?: { unit?: string } } }[];
    };
    const cpu = dashboard.panels.filter((p) => (p.targets ?? []).some((t) => t.expr.includes('feature="cpu_cores"')));
    expect(cpu.length).to.be.greaterThan(0);
    for (const panel of cpu) expect(panel.fieldConfig?.defaults?.unit, panel.title).to.match(/cores/);
  });

  it("aggregate the serving loop's series with max, never sum: every replica exports the same values (sum shows double)", () => {
    const registry = new Registry();
    new LoopMetrics(registry);
    const perReplicaCopies = registry.getMetricsAsArray().map((m) => m.name);
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'manifests', 'monitoring', 'grafana-dashboard.json'), 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const rules = readFileSync(join(ROOT, 'manifests', 'monitoring', 'alert-rules.yaml'), 'utf8');
    const expressions = [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...[...rules.matchAll(/expr: (.*)/g)].map((m) => m[1]!)];
    const summed = expressions.filter((e) => perReplicaCopies.some((name) => e.includes(name)) && /\bsum\b/.test(e));
    expect(summed, `expressions summing replica-identical series: ${summed.join(' | ')}`).to.deep.equal([]);
    expect(expressions.filter((e) => perReplicaCopies.some((name) => e.includes(name))).length).to.be.greaterThan(5);
  });
});
