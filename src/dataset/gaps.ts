/**
 * Where a dataset has gaps, per series: what `collect` reports so a user sees at once whether a
 * template matched nothing (all gaps) or the cluster lost samples for a while (a few).
 */
import type { Feature } from '../core/index.js';
import { datasetIndex, type Dataset } from './index.js';

export interface SeriesGaps {
  readonly service: string;
  readonly feature: Feature;
  readonly gaps: number;
  /** Longest run of consecutive gaps, in steps. */
  readonly longestRun: number;
}

export interface GapSummary {
  readonly steps: number;
  readonly values: number;
  readonly gaps: number;
  /** Only the series with at least one gap, most gaps first. */
  readonly series: readonly SeriesGaps[];
}

export function gapSummary(ds: Dataset): GapSummary {
  const series: SeriesGaps[] = [];
  let total = 0;
  ds.services.forEach((service, s) =>
    ds.features.forEach((feature, f) => {
      let gaps = 0;
      let run = 0;
      let longestRun = 0;
      for (let t = 0; t < ds.length; t++) {
        if (Number.isNaN(ds.values[datasetIndex(ds, t, s, f)]!)) {
          gaps++;
          longestRun = Math.max(longestRun, ++run);
        } else {
          run = 0;
        }
      }
      total += gaps;
      if (gaps > 0) series.push({ service, feature, gaps, longestRun });
    }),
  );
  series.sort((a, b) => b.gaps - a.gaps || a.service.localeCompare(b.service) || a.feature.localeCompare(b.feature));
  return { steps: ds.length, values: ds.values.length, gaps: total, series };
}

/** A few readable lines: the total, then each series with gaps (at most `limit`). */
export function formatGapSummary(summary: GapSummary, stepSeconds: number, limit = 20): string {
  const pct = summary.values === 0 ? 0 : (100 * summary.gaps) / summary.values;
  const lines = [`gaps: ${summary.gaps} of ${summary.values} values (${pct.toFixed(2)} %) in ${summary.series.length} series`];
  for (const s of summary.series.slice(0, limit)) {
    const all = s.gaps === summary.steps ? ' — no data at all: does the template match this workload?' : '';
    lines.push(`  ${s.service} ${s.feature}: ${s.gaps}/${summary.steps} steps missing, longest ${s.longestRun} steps (${s.longestRun * stepSeconds} s)${all}`);
  }
  if (summary.series.length > limit) lines.push(`  … and ${summary.series.length - limit} more series with gaps`);
  return lines.join('\n');
}
