/**
 * Derived features. The seed recorded CPU as a fraction of the summed CPU limits, but the planner
 * needs absolute cores (demand) and the per-pod request (capacity); a topology's CPU settings turn
 * one into the other: cores used = cpu × pods × per-pod limit.
 */
import type { Feature } from '../core/index.js';
import type { Topology } from '../graph/index.js';
import { datasetIndex, type Dataset } from './index.js';
import { DatasetError } from './errors.js';

export interface ServiceCpu {
  /** Per-pod CPU limit in cores; null when the pods have none (then `cpu` means nothing absolute). */
  readonly limitCores: number | null;
  /** Per-pod CPU request in cores. */
  readonly requestCores: number;
}

export function cpuSettingsFromTopology(topology: Topology): ReadonlyMap<string, ServiceCpu> {
  return new Map(
    topology.services.map((s) => [
      s.name,
      { limitCores: s.cpuLimitMillicores === null ? null : s.cpuLimitMillicores / 1000, requestCores: s.cpuRequestMillicores / 1000 },
    ]),
  );
}

/**
 * Adds `cpu_cores` (= cpu × pod × limit) and `cpu_request` (constant per service) to a dataset that
 * has the seed's `cpu` and `pod`. A gap in either input is a gap in cpu_cores.
 */
export function withCpuCores(ds: Dataset, cpuBySvc: ReadonlyMap<string, ServiceCpu>): Dataset {
  for (const needed of ['cpu', 'pod'] as const) {
    if (!ds.features.includes(needed)) throw new DatasetError(`cpu_cores needs the "${needed}" feature; the dataset has ${ds.features.join(', ')}`);
  }
  for (const present of ['cpu_cores', 'cpu_request'] as const) {
    if (ds.features.includes(present)) throw new DatasetError(`the dataset already has "${present}"; it is derived only from cpu and pod`);
  }
  const settings = ds.services.map((service) => {
    const cpu = cpuBySvc.get(service);
    if (cpu === undefined) throw new DatasetError(`no CPU settings for service "${service}" (known: ${[...cpuBySvc.keys()].join(', ')})`);
    if (cpu.limitCores === null) throw new DatasetError(`service "${service}" has no CPU limit, so its cpu fraction of limits cannot become cores`);
    return { limitCores: cpu.limitCores, requestCores: cpu.requestCores };
  });

  const features: Feature[] = [...ds.features, 'cpu_cores', 'cpu_request'];
  const out = { ...ds, features };
  const values = new Float32Array(ds.length * ds.services.length * features.length);
  const cpu = ds.features.indexOf('cpu');
  const pod = ds.features.indexOf('pod');
  const F = ds.features.length;
  for (let t = 0; t < ds.length; t++) {
    for (let s = 0; s < ds.services.length; s++) {
      for (let f = 0; f < F; f++) values[datasetIndex(out, t, s, f)] = ds.values[datasetIndex(ds, t, s, f)]!;
      const fraction = ds.values[datasetIndex(ds, t, s, cpu)]!;
      const pods = ds.values[datasetIndex(ds, t, s, pod)]!;
      values[datasetIndex(out, t, s, F)] = fraction * pods * settings[s]!.limitCores;
      values[datasetIndex(out, t, s, F + 1)] = settings[s]!.requestCores;
    }
  }
  return { ...out, values };
}

/** The same dataset restricted to (and ordered by) `features`, e.g. the demand features a model trains on. */
export function selectFeatures(ds: Dataset, features: readonly Feature[]): Dataset {
  const from = features.map((f) => {
    const i = ds.features.indexOf(f);
    if (i < 0) throw new DatasetError(`dataset has no feature "${f}" (has: ${ds.features.join(', ')})`);
    return i;
  });
  const out = { ...ds, features: [...features] };
  const values = new Float32Array(ds.length * ds.services.length * features.length);
  for (let t = 0; t < ds.length; t++) {
    for (let s = 0; s < ds.services.length; s++) {
      from.forEach((src, f) => (values[datasetIndex(out, t, s, f)] = ds.values[datasetIndex(ds, t, s, src)]!));
    }
  }
  return { ...out, values };
}
