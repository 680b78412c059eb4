/**
 * `deepscaler explain <namespace> [service]`: why the adapter serves the counts it serves — the
 * current decision and its reason, forecast vs actual, fallbacks and the preview scorecard — read
 * from the running adapter. The request goes where the kubeconfig points: through the cluster's
 * API server (aggregation), or straight at a local adapter (`serve` writes a kubeconfig for it);
 * either way it is authenticated and authorized like a metric read (resource "deepscaler-explain"
 * of external.metrics.k8s.io, verb list or get).
 */
import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import type { Command } from 'commander';
import * as k8s from '@kubernetes/client-node';
import { ConfigError, expectOneOf } from '../core/index.js';
import { renderExplanation, EXPLANATION_KIND, type Explanation } from '../explain/index.js';
import { GROUP_VERSION, EXPLAIN_RESOURCE } from '../serving/index.js';

export interface ExplainFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly output: string;
}

const OUTPUTS = ['text', 'json'] as const;

/** The path the adapter serves explanations on (also through the aggregator). */
export function explainPath(namespace: string, service?: string): string {
  const base = `/apis/${GROUP_VERSION}/namespaces/${encodeURIComponent(namespace)}/${EXPLAIN_RESOURCE}`;
  return service === undefined ? base : `${base}/${encodeURIComponent(service)}`;
}

/** GET with the kubeconfig's server and credentials; resolves with the status and body. */
async function get(kc: k8s.KubeConfig, path: string): Promise<{ status: number; body: string; origin: string }> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ConfigError('the kubeconfig has no current cluster (use --context or --kubeconfig)');
  const url = new URL(path, cluster.server);
  const options: import('node:https').RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
  await kc.applyToHTTPSOptions(options);
  const send = url.protocol === 'http:' ? plainRequest : request;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), origin: url.origin }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${url.origin} in 30 s`)));
    req.on('error', (err) => reject(new Error(`cannot reach ${url.origin}: ${err.message}`)));
    req.end();
  });
}

/** A Kubernetes Status's message, or the start of whatever came back. */
function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { kind?: string; message?: string };
    if (status.kind === 'Status' && typeof status.message === 'string') return status.message;
  } catch {
    // not JSON: show it as it is
  }
  return body.trim().slice(0, 500) || '(empty answer)';
}

/** Fetches and renders; exported for tests, which pass their own kubeconfig object. */
export async function explain(kc: k8s.KubeConfig, namespace: string, service: string | undefined, output: (typeof OUTPUTS)[number]): Promise<string> {
  const { status, body, origin } = await get(kc, explainPath(namespace, service));
  if (status !== 200) {
    const hint =
      status === 404 && body.includes('could not find the requested resource')
        ? ' (is the deepscaler adapter registered for external.metrics.k8s.io, and new enough to serve explain?)'
        : status === 403
          ? ` (grant "list"/"get" on resource "${EXPLAIN_RESOURCE}" of external.metrics.k8s.io, e.g. the deepscaler-explain-reader ClusterRole)`
          : '';
    // Through the aggregator a 401/403 may come from the API server itself, so name who answered.
    throw new Error(`${origin} answered ${status}: ${statusMessage(body)}${hint}`);
  }
  const doc = JSON.parse(body) as Explanation;
  if (doc.kind !== EXPLANATION_KIND) throw new Error(`unexpected answer of kind "${String(doc.kind)}" from ${explainPath(namespace, service)}`);
  return output === 'json' ? JSON.stringify(doc, null, 2) + '\n' : renderExplanation(doc, Date.now());
}

export async function runExplain(namespace: string, service: string | undefined, flags: ExplainFlags): Promise<void> {
  const output = expectOneOf(flags.output, '--output', OUTPUTS);
  const kc = new k8s.KubeConfig();
  if (flags.kubeconfig !== undefined && flags.kubeconfig !== '') kc.loadFromFile(flags.kubeconfig);
  else kc.loadFromDefault();
  if (flags.context !== undefined) kc.setCurrentContext(flags.context);
  process.stdout.write(await explain(kc, namespace, service, output));
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description(
      "Explain the running adapter's current decision for a namespace (or one service): the count and its reason, forecast vs actual, " +
        'fallbacks, and the preview scorecard. Reads the adapter through your kubeconfig (the API server, or a local adapter).',
    )
    .argument('<namespace>', "the application's namespace")
    .argument('[service]', 'one service (its Deployment name); default: every service')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, ~/.kube/config or in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-o, --output <format>', `output: ${OUTPUTS.join(' or ')}`, 'text')
    .action((namespace: string, service: string | undefined, flags: ExplainFlags) => runExplain(namespace, service, flags));
}
