/**
 * A real Prometheus (Debian's 2.42) on loopback scraping the adapter, plus promtool — to prove the
 * shipped dashboard's PromQL and alert rules work against the adapter's real /metrics.
 */
import { execFile } from 'node:child_process';
import { binary } from './binaries.js';
import type { Managed } from './proc.js';
import { startPrometheus } from '../../support/prometheus.js';

export interface ScrapeTarget {
  readonly job: string;
  /** host:port */
  readonly target: string;
  readonly scheme: 'http' | 'https';
  readonly metricsPath?: string;
  /** PEM CA of the target (https); omitted → insecure_skip_verify. */
  readonly caFile?: string;
  readonly bearerTokenFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** TLS server name to verify (the cert's SAN), when it differs from the target host. */
  readonly serverName?: string;
}

export interface ScrapingPrometheus {
  readonly url: string;
  readonly proc: Managed;
  /** Instant query; returns the `data.result` array. Throws on a PromQL error. */
  query(expr: string): Promise<readonly PromSample[]>;
  stop(): Promise<void>;
}

export interface PromSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: readonly [number, string];
}

function scrapeConfigYaml(targets: readonly ScrapeTarget[], intervalSeconds: number, ruleFiles: readonly string[]): string {
  const lines = ['global:', `  scrape_interval: ${intervalSeconds}s`, `  evaluation_interval: ${intervalSeconds}s`];
  if (ruleFiles.length > 0) {
    lines.push('rule_files:');
    for (const f of ruleFiles) lines.push(`  - ${JSON.stringify(f)}`);
  }
  lines.push('scrape_configs:');
  for (const t of targets) {
    lines.push(`  - job_name: ${JSON.stringify(t.job)}`, `    scheme: ${t.scheme}`, `    metrics_path: ${JSON.stringify(t.metricsPath ?? '/metrics')}`);
    if (t.bearerTokenFile !== undefined) lines.push('    authorization:', `      credentials_file: ${JSON.stringify(t.bearerTokenFile)}`);
    if (t.scheme === 'https') {
      lines.push('    tls_config:');
      if (t.caFile !== undefined) lines.push(`      ca_file: ${JSON.stringify(t.caFile)}`);
      else lines.push('      insecure_skip_verify: true');
      if (t.serverName !== undefined) lines.push(`      server_name: ${JSON.stringify(t.serverName)}`);
      if (t.certFile !== undefined) lines.push(`      cert_file: ${JSON.stringify(t.certFile)}`);
      if (t.keyFile !== undefined) lines.push(`      key_file: ${JSON.stringify(t.keyFile)}`);
    }
    lines.push('    static_configs:', `      - targets: [${JSON.stringify(t.target)}]`);
  }
  return lines.join('\n') + '\n';
}

/** The shared test Prometheus (test/support/prometheus.ts), here scraping `targets` and evaluating `ruleFiles`. */
export async function startScrapingPrometheus(
  dir: string,
  targets: readonly ScrapeTarget[],
  opts: { intervalSeconds?: number; ruleFiles?: readonly string[] } = {},
): Promise<ScrapingPrometheus> {
  const prom = await startPrometheus({ workDir: dir, config: scrapeConfigYaml(targets, opts.intervalSeconds ?? 1, opts.ruleFiles ?? []) });
  const query = async (expr: string): Promise<readonly PromSample[]> => {
    const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
    if (body.status !== 'success' || body.data === undefined) throw new Error(`PromQL ${expr}: ${body.error ?? res.status}`);
    if (body.data.resultType !== 'vector') throw new Error(`PromQL ${expr}: expected an instant vector, got ${body.data.resultType}`);
    return body.data.result;
  };
  return { url: prom.url, proc: prom.process, query, stop: () => prom.stop() };
}

/** `promtool check rules <file>`: exit code and combined output. */
export function promtoolCheckRules(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(binary('promtool'), ['check', 'rules', file], (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}
