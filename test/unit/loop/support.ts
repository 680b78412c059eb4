/** Test doubles for the serving loop: a scripted source, a manual clock, a config builder. */
import { Registry } from 'prom-client';
import { parseServeConfig, type ApplicationConfig } from '../../../src/config/schema.js';
import type { Feature, Frame, MetricsSource } from '../../../src/core/frame.js';
import { createLogger, type Logger } from '../../../src/telemetry/log.js';
import { LoopMetrics } from '../../../src/loop/telemetry.js';

export const SERVICES = ['web', 'api'] as const;
const FEATURES: readonly Feature[] = ['cpu_cores', 'req', 'pod'];

/** cpu_cores of each service at step k; req 10 × cpu; 2 pods. */
export type Demand = (k: number, service: string) => number;

/** Yields one frame per call, step k at k × 30 s; `fail` makes the next reads throw. */
export class ScriptedSource implements MetricsSource {
  readonly services = [...SERVICES];
  readonly features = FEATURES;
  readonly stepSeconds = 30;
  fail = false;
  reads = 0;
  private k = 0;

  constructor(private readonly demand: Demand) {}

  async frame(): Promise<Frame> {
    this.reads++;
    if (this.fail) throw new Error('connection refused');
    return this.frameAt(this.k++);
  }

  frameAt(k: number): Frame {
    const values = new Float32Array(SERVICES.length * FEATURES.length);
    SERVICES.forEach((service, s) => {
      const cpu = this.demand(k, service);
      values.set([cpu, cpu * 10, 2], s * FEATURES.length);
    });
    return { timestamp: k * 30_000, services: this.services, features: this.features, values };
  }

  async range(): Promise<Frame[]> {
    return [];
  }

  async close(): Promise<void> {}
}

export class ManualClock {
  constructor(public now = 1_000_000) {}
  readonly read = (): number => this.now;
  advance(seconds: number): void {
    this.now += seconds * 1000;
  }
}

export function appConfig(extra: Record<string, unknown> = {}): ApplicationConfig {
  return parseServeConfig(
    {
      applications: [
        {
          name: 'shop',
          namespace: 'shop',
          services: [...SERVICES],
          source: { kind: 'replay', path: 'unused', stepIntervalSeconds: 1 },
          stepSeconds: 30,
          capacity: { targetUtilization: 0.5 },
          serviceOverrides: { web: { cpuRequestCores: 1 }, api: { cpuRequestCores: 1 } },
          ...extra,
        },
      ],
    },
    '/',
  ).applications[0]!;
}

/** A logger that keeps its lines, to assert on what was logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({}, (line) => lines.push(line)), lines };
}

export function freshMetrics(): { registry: Registry; metrics: LoopMetrics } {
  const registry = new Registry();
  return { registry, metrics: new LoopMetrics(registry) };
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const data = await metric.get();
  return data.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
}
