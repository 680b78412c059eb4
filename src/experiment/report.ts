/**
 * What a run of the experiment reports: the frontier table (every knob point of every autoscaler
 * with cost/floor), the headline comparisons against the CPU HPA read on its frontier, the
 * machine-readable outcome (`--json`, a stable format) and an SVG of the frontiers.
 */
import { join } from 'node:path';
import { lineChartSvg, writeSvg } from '../report/index.js';
import { writeFileAtomic } from '../util/index.js';
import { costAtViolations, paretoFrontier, violationsAtCost, type CostPoint } from './frontier.js';
import type { AutoscalerFrontier, ExperimentResult } from './runner.js';

/** The `--json` document: keep these names and fields stable. */
export interface OutcomeJson {
  readonly app: string;
  readonly trace: string;
  readonly seed: number;
  readonly floorCoreHours: number;
  readonly autoscalers: ReadonlyArray<{
    readonly name: string;
    readonly knob: string;
    readonly points: ReadonlyArray<{ readonly knob: number; readonly violationPct: number; readonly coreHours: number }>;
  }>;
}

export function outcomeJson(result: ExperimentResult, trace: string, seed: number): OutcomeJson {
  return {
    app: result.app.name,
    trace,
    seed,
    floorCoreHours: result.floorCoreHours,
    autoscalers: result.frontiers.map((f) => ({ name: f.name, knob: f.knob, points: costPoints(f) })),
  };
}

function costPoints(f: AutoscalerFrontier): Array<{ knob: number; violationPct: number; coreHours: number }> {
  return f.points.map((p) => ({ knob: p.knob, violationPct: p.run.summary.latency.sloViolationRate * 100, coreHours: p.run.summary.cpuCoreHours }));
}

function fixed(x: number | null, digits: number): string {
  return x === null ? '—' : Number.isFinite(x) ? x.toFixed(digits) : x > 0 ? '∞' : 'n/a';
}

/** One row per autoscaler and knob value. */
export function frontierTable(result: ExperimentResult): string {
  const rows = [
    '| autoscaler | knob | SLO violations | dropped | p95 (s) | CPU (core-h) | cost / floor | on frontier | scaling actions | sim time (s) |',
    '|---|---|---:|---:|---:|---:|---:|:-:|---:|---:|',
  ];
  for (const f of result.frontiers) {
    const pareto = new Set(paretoFrontier(costPoints(f)).map((p) => p.knob));
    for (const { knob, run } of f.points) {
      const { latency, cpuCoreHours, scalingActions, wallSeconds } = run.summary;
      rows.push(
        `| ${f.name} | ${f.knob} ${knob} | ${fixed(latency.sloViolationRate * 100, 3)} % | ${fixed(latency.dropRate * 100, 3)} % | ${fixed(latency.p95, 3)} | ` +
          `${fixed(cpuCoreHours, 2)} | ${fixed(cpuCoreHours / result.floorCoreHours, 3)} | ${pareto.has(knob) ? '✓' : ''} | ${scalingActions} | ${fixed(wallSeconds, 1)} |`,
      );
    }
  }
  return rows.join('\n');
}

export interface Comparison {
  readonly name: string;
  readonly knob: number;
  readonly point: CostPoint;
  /** The CPU HPA's violations at this point's cost (its frontier, interpolated), and this point's share of them. */
  readonly hpaViolationsAtCost: number | null;
  readonly violationRatio: number | null;
  /** The CPU HPA's cost at this point's violations, and this point's share of it. */
  readonly hpaCostAtViolations: number | null;
  readonly costRatio: number | null;
}

/** Every point of every other autoscaler against the CPU HPA's frontier. */
export function compareWithCpuHpa(result: ExperimentResult): Comparison[] {
  const hpa = result.frontiers.find((f) => f.name === 'cpu-hpa');
  if (hpa === undefined) return [];
  const hpaPoints = costPoints(hpa);
  const out: Comparison[] = [];
  for (const f of result.frontiers) {
    if (f.name === 'cpu-hpa') continue;
    for (const p of costPoints(f)) {
      const atCost = violationsAtCost(hpaPoints, p.coreHours);
      const atViolations = costAtViolations(hpaPoints, p.violationPct);
      out.push({
        name: f.name,
        knob: p.knob,
        point: p,
        hpaViolationsAtCost: atCost,
        violationRatio: atCost === null ? null : atCost > 0 ? p.violationPct / atCost : p.violationPct > 0 ? Infinity : null,
        hpaCostAtViolations: atViolations,
        costRatio: atViolations === null ? null : p.coreHours / atViolations,
      });
    }
  }
  return out;
}

export function comparisonTable(result: ExperimentResult): string {
  const rows = [
    '| autoscaler | knob | violations | CPU HPA violations at equal cost | ratio | CPU (core-h) | CPU HPA cost at equal violations | ratio |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of compareWithCpuHpa(result)) {
    rows.push(
      `| ${c.name} | ${c.knob} | ${fixed(c.point.violationPct, 3)} % | ${c.hpaViolationsAtCost === null ? 'outside its frontier' : `${fixed(c.hpaViolationsAtCost, 3)} %`} | ${fixed(c.violationRatio, 2)} | ` +
        `${fixed(c.point.coreHours, 2)} | ${c.hpaCostAtViolations === null ? 'outside its frontier' : fixed(c.hpaCostAtViolations, 2)} | ${fixed(c.costRatio, 3)} |`,
    );
  }
  return rows.join('\n');
}

/** The frontiers as one chart: CPU cost against SLO violations, one line per autoscaler through its knob points. */
export function frontierSvg(result: ExperimentResult, title: string): string {
  const series = result.frontiers.map((f) => {
    const points = costPoints(f).sort((a, b) => a.coreHours - b.coreHours);
    return {
      name: f.name,
      x: points.map((p) => p.coreHours / result.floorCoreHours),
      values: points.map((p) => p.violationPct),
      dashed: f.name === 'perfect-foresight',
    };
  });
  return lineChartSvg(series, {
    title,
    xLabel: 'CPU requested ÷ cost floor',
    yLabel: 'SLO violations (% of requests)',
    width: 820,
    height: 380,
    markers: true,
  });
}

export function markdownReport(result: ExperimentResult, description: string): string {
  return [
    description,
    '',
    `- HPA settings: ${result.hpaSettings}.`,
    `- Training: ${result.trainedOn}${result.trainingSeconds !== null ? `; DeepScaler trained in ${result.trainingSeconds.toFixed(0)} s` : ''}.`,
    `- Scored: ${result.scoredSteps} steps after ${result.warmupSteps} warm-up steps; look-ahead ${result.lookAheadSeconds} s; cost floor ${result.floorCoreHours.toFixed(2)} core-h.`,
    '',
    frontierTable(result),
    '',
    'Against the CPU HPA frontier (interpolated; "outside" = no CPU HPA knob reaches that cost or those violations):',
    '',
    comparisonTable(result),
    '',
  ].join('\n');
}

/** Writes results.md, outcome.json and frontier.svg into the output folder; returns the Markdown. */
export function writeExperimentReport(result: ExperimentResult, outDir: string, description: string, trace: string, seed: number): string {
  const md = markdownReport(result, description);
  writeSvg(join(outDir, 'frontier.svg'), frontierSvg(result, `${result.app.name} under ${trace} (seed ${seed})`));
  writeFileAtomic(join(outDir, 'outcome.json'), JSON.stringify(outcomeJson(result, trace, seed), null, 2) + '\n');
  writeFileAtomic(join(outDir, 'results.md'), md);
  return md;
}
