/**
 * A real Prometheus for tests (Debian's package, unpacked by debian.ts, never installed): history is
 * backfilled from an OpenMetrics text with `promtool tsdb create-blocks-from openmetrics`, then
 * prometheus serves it on 127.0.0.1 from its own storage folder and is stopped by its PID.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { debianBinary } from './debian.js';
import { freePort, startProcess, waitFor, type Managed } from '../e2e/cluster/proc.js';

const run = promisify(execFile);

export interface RunningPrometheus {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  readonly process: Managed;
  /** Stops prometheus (by PID) and deletes its work folder unless asked to keep it. */
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** OpenMetrics text (ending in `# EOF`) to backfill before start. */
  readonly openMetrics?: string;
  /** prometheus.yml content (scrape targets, rule files); by default no targets, only backfilled history. */
  readonly config?: string;
  /** Work folder (storage, config, log); a fresh temporary one by default, deleted on stop. */
  readonly workDir?: string;
}

/** Turns OpenMetrics text into TSDB blocks in `dataDir` (where prometheus will find them). */
export async function backfillOpenMetrics(openMetrics: string, dataDir: string, workDir: string): Promise<void> {
  const input = join(workDir, 'backfill.om.txt');
  writeFileSync(input, openMetrics);
  mkdirSync(dataDir, { recursive: true });
  try {
    await run(debianBinary('prometheus', 'promtool'), ['tsdb', 'create-blocks-from', 'openmetrics', input, dataDir], { maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`promtool backfill failed: ${e.stderr || e.message}`, { cause: err });
  } finally {
    rmSync(input, { force: true });
  }
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const ownDir = options.workDir === undefined;
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'deepscaler-prom-'));
  const dataDir = join(workDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  if (options.openMetrics !== undefined) await backfillOpenMetrics(options.openMetrics, dataDir, workDir);
  const config = join(workDir, 'prometheus.yml');
  writeFileSync(config, options.config ?? 'global:\n  evaluation_interval: 1h\nscrape_configs: []\n');
  const port = await freePort();
  const proc = startProcess(
    'prometheus',
    debianBinary('prometheus', 'prometheus'),
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Backfilled history may be older than the default 15 d retention.
      '--storage.tsdb.retention.time=100y',
      // Debian's build looks for console templates under /etc; point at the work folder instead.
      `--web.console.templates=${workDir}`,
      `--web.console.libraries=${workDir}`,
    ],
    join(workDir, 'prometheus.log'),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('prometheus to be ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 60_000, proc);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    url,
    pid: proc.pid,
    dataDir,
    process: proc,
    async stop() {
      await proc.stop();
      if (ownDir) rmSync(workDir, { recursive: true, force: true });
    },
  };
}
