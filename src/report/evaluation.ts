/**
 * The `evaluate` report: text tables (MAE, RMSE, MAPE per horizon step and per service, GNN beside
 * the baselines), a JSON file with every number, and SVG plots (forecast vs actual per service,
 * the learned and starting graphs as heatmaps, the training loss curves).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE_UNITS } from '../core/index.js';
import type { ErrorStats, EvaluationResult, EpochRecord } from '../model/index.js';
import { writeDirAtomic } from '../util/index.js';
import { heatmapSvg, lineChartSvg, type LineSeries } from './svg.js';
import { formatTable } from './table.js';

const METRICS = [
  ['mae', 'MAE'],
  ['rmse', 'RMSE'],
  ['mape', 'MAPE %'],
] as const satisfies readonly (readonly [keyof ErrorStats, string])[];

/** Lowest value among the baselines (every forecaster but the first, the GNN). */
function bestBaseline(values: readonly number[]): number {
  return Math.min(...values.slice(1).filter(Number.isFinite));
}

const percent = (x: number): string => (100 * x).toFixed(1);

/** A graph other than the identity ships only when its loss is at most this share of the identity's. */
const GRAPH_GAIN_REQUIRED = 0.95;

/** The decision quantity per target: every forecaster overall, then per service; and the graph ablation. */
function formatDecision(result: EvaluationResult): string[] {
  const { decision, peaks, baselines } = result;
  const names = peaks.map((p) => p.name);
  const out: string[] = [];
  const tau = 1 - decision.risk;
  out.push(
    `\nDECISION QUANTITY: the planner sizes for the (1 − risk) = ${tau} quantile of each service's peak over the first ${decision.lookAheadSteps} forecast steps ` +
      `(${(decision.lookAheadSteps * result.stepSeconds).toFixed(0)} s): forecast peak × an online conformal correction per service and feature, learned only from ` +
      `peaks that had already happened (${decision.warmupWindows} windows before the test split warmed it). Pinball loss at ${tau} of that plan against the ` +
      `realized peak (lower is better); under-provision = share of windows whose realized peak exceeded the plan (target ${percent(decision.risk)} %); ` +
      `excess = capacity above the realized peak as % of it. Baselines were tuned on the validation split by this loss.`,
  );
  result.targets.forEach((target, k) => {
    out.push(`\n${target} (${FEATURE_UNITS[target]}): all services`);
    const pinballs = peaks.map((p) => p.overall[k]!.pinball);
    const best = bestBaseline(pinballs);
    const rows = peaks.map((p, i) => {
      const stats = p.overall[k]!;
      const main = result.graphModes.main;
      const tuned =
        i === 0
          ? `${main.graphMode} graph, val ${main.validationDecisionLoss.toFixed(4)}`
          : `${baselines[i - 1]!.chosen}, val ${baselines[i - 1]!.validationLoss.toFixed(4)}`;
      return [p.name, tuned, stats.pinball, stats.pinball / best, percent(stats.underProvision), stats.excessPercent.toFixed(1)];
    });
    out.push(formatTable(['forecaster', 'chosen on validation', 'pinball', '/best baseline', 'under-provision %', 'excess %'], rows));
    out.push(`\n${target}: pinball loss per service (and ${names[0]}'s under-provision and excess)`);
    const serviceRows = result.services.map((service, s) => {
      const values = peaks.map((p) => p.perService[s]![k]!.pinball);
      const own = peaks[0]!.perService[s]![k]!;
      return [service, ...values, values[0]! / bestBaseline(values), percent(own.underProvision), own.excessPercent.toFixed(1)];
    });
    out.push(formatTable(['service', ...names, `${names[0]}/best baseline`, 'under %', 'excess %'], serviceRows));
  });
  const { main, variants } = result.graphModes;
  if (variants.length > 0) {
    out.push(
      `\nGRAPH ABLATION: the same config trained with each graph mode, scored on the same windows; the mode to ship has the lowest ` +
        `validation decision loss (training loss beside it), and is the identity unless another graph is 5 % lower`,
    );
    const rows = [{ ...main, peak: peaks[0]!, mae: result.scores[0]! }, ...variants.map((v) => ({ ...v, mae: v.score }))];
    out.push(
      formatTable(
        ['graph mode', 'val decision loss', 'val training loss', ...result.targets.flatMap((t) => [`test pinball ${t}`, `test MAE ${t}`])],
        rows.map((r) => [
          r.graphMode,
          r.validationDecisionLoss,
          r.validationLoss,
          ...result.targets.flatMap((_, k) => [r.peak.overall[k]!.pinball, r.mae.overall[k]!.mae]),
        ]),
      ),
    );
    const byValidation = (r: (typeof rows)[number]): number => (Number.isNaN(r.validationDecisionLoss) ? r.validationLoss : r.validationDecisionLoss);
    const best = rows.reduce((a, b) => (byValidation(b) < byValidation(a) ? b : a));
    const identity = rows.find((r) => r.graphMode === 'identity');
    // Message passing must earn its place: another graph ships only if it beats identity by 5 % on validation.
    const chosen = identity !== undefined && byValidation(best) > GRAPH_GAIN_REQUIRED * byValidation(identity) ? identity : best;
    out.push(
      `by validation: ship the ${chosen.graphMode} graph` +
        (identity !== undefined && chosen !== best
          ? ` (the ${best.graphMode} graph is best on validation but not ${Math.round(100 * (1 - GRAPH_GAIN_REQUIRED))} % better than identity)`
          : ''),
    );
    if (identity !== undefined) {
      for (const r of rows.filter((x) => x.graphMode !== 'identity')) {
        const ratios = result.targets.map((t, k) => `${t} ${(r.peak.overall[k]!.pinball / identity.peak.overall[k]!.pinball).toFixed(3)}`);
        const helps = result.targets.every((_, k) => r.peak.overall[k]!.pinball <= GRAPH_GAIN_REQUIRED * identity.peak.overall[k]!.pinball);
        out.push(
          `${r.graphMode} / identity test pinball: ${ratios.join(', ')} — ${helps ? 'beats identity by ≥ 5 % on every target' : 'does NOT beat the identity graph by 5 % on every target (message passing over this graph does not earn its place here)'}`,
        );
      }
    }
  }
  return out;
}

export function formatEvaluation(result: EvaluationResult): string {
  const names = result.scores.map((s) => s.name);
  const out: string[] = [];
  const minutes = (h: number): string => (((h + 1) * result.stepSeconds) / 60).toFixed(1);
  out.push(
    `test steps ${result.split.start}..${result.split.end} (${result.origins.length} windows), horizon ${result.horizon} × ${result.stepSeconds} s, ` +
      `original units; MAPE leaves out actual values below 5 % of the series mean`,
  );
  out.push(...formatDecision(result));
  out.push('\nFORECAST ACCURACY per horizon step (the planner reads only the first steps; see above)');
  result.targets.forEach((target, k) => {
    for (const [metric, label] of METRICS) {
      out.push(`\n${label} of ${target} (${FEATURE_UNITS[target]}) per horizon step, all services`);
      const rows = result.scores[0]!.perHorizon.map((_, h) => {
        const values = result.scores.map((s) => s.perHorizon[h]![k]![metric]);
        return [h + 1, minutes(h), ...values, values[0]! / bestBaseline(values)];
      });
      out.push(formatTable(['step', 'min', ...names, `${names[0]}/best baseline`], rows));
    }
    for (const [metric, label] of METRICS) {
      out.push(`\n${label} of ${target} per service, all horizon steps`);
      const rows = result.services.map((service, s) => {
        const values = result.scores.map((sc) => sc.perService[s]![k]![metric]);
        return [service, ...values, values[0]! / bestBaseline(values)];
      });
      out.push(formatTable(['service', ...names, `${names[0]}/best baseline`], rows));
    }
  });
  const { jaccard } = result.graph;
  out.push(
    `\nlearned graph vs the starting call graph: weighted Jaccard similarity ${jaccard.mean.toFixed(3)} (mean over services; 1 = same edges and weights; "-" = no edges but self-loops in either graph)`,
  );
  out.push(
    formatTable(
      ['service', 'jaccard'],
      result.services.map((s, i) => [s, jaccard.perNode[i]!]),
    ),
  );
  return out.join('\n');
}

/** The forecast `step` steps ahead vs the actual value, over the scored windows. */
function forecastChart(result: EvaluationResult, s: number, k: number, step: number, forecasters: readonly string[]): string {
  const { data, origins, horizon, services, targets } = result;
  const n = services.length;
  const nf = data.features.length;
  const f = data.features.indexOf(targets[k]!);
  const hours = origins.map((o) => ((o + 1 + step) * result.stepSeconds) / 3600);
  const actual: LineSeries = { name: 'actual', x: hours, values: origins.map((o) => data.values[((o + 1 + step) * n + s) * nf + f]!), color: '#000000' };
  const series = forecasters.map((name, i) => {
    const values = result.predictions.get(name)!;
    return {
      name: `${name} (+${(((step + 1) * result.stepSeconds) / 60).toFixed(1)} min)`,
      x: hours,
      values: origins.map((_, b) => values[((b * horizon + step) * n + s) * targets.length + k]!),
      dashed: i > 0,
    };
  });
  return lineChartSvg([actual, ...series], {
    title: `${services[s]} ${targets[k]}: forecast ${step + 1} steps ahead vs actual`,
    xLabel: 'hours since the start of the recording',
    yLabel: FEATURE_UNITS[targets[k]!],
    width: 960,
  });
}

function lossChart(history: readonly EpochRecord[]): string {
  const x = history.map((_, i) => i + 1);
  const pick = (phase: EpochRecord['phase'], key: 'trainLoss' | 'valLoss'): number[] => history.map((r) => (r.phase === phase ? r[key] : Number.NaN));
  return lineChartSvg(
    [
      { name: 'train (predictor)', x, values: pick('predictor', 'trainLoss') },
      { name: 'validation (predictor)', x, values: pick('predictor', 'valLoss') },
      { name: 'validation (graph learner)', x, values: pick('graph', 'valLoss') },
    ],
    { title: 'training loss (standardized L1; graph-learner train loss includes the new-edge penalty)', xLabel: 'epoch (all stages in order)', yLabel: 'L1' },
  );
}

export interface ReportOptions {
  /** Horizon step (0-based) drawn in the forecast plots. */
  readonly plotStep: number;
  readonly history: readonly EpochRecord[];
}

/** The title of the graph the model passed messages over (graph-learned.svg): only the learned mode learned it. */
function graphTitle(mode: string): string {
  if (mode === 'identity') return 'identity graph: no messages between services (row → column)';
  if (mode === 'call-graph') return 'call graph, fixed: not learned (row → column)';
  return `${mode} graph (row → column)`;
}

/** Writes report.txt, report.json and the SVG plots into `dir`, atomically as one folder. */
export async function writeEvaluationReport(dir: string, result: EvaluationResult, options: ReportOptions): Promise<string[]> {
  const written: string[] = [];
  const names = result.scores.map((s) => s.name);
  await writeDirAtomic(dir, (tmp) => {
    const put = (name: string, text: string): void => {
      writeFileSync(join(tmp, name), text);
      written.push(join(dir, name));
    };
    put('report.txt', formatEvaluation(result) + '\n');
    const json = {
      services: result.services,
      targets: result.targets,
      horizon: result.horizon,
      stepSeconds: result.stepSeconds,
      split: result.split,
      windows: result.origins.length,
      decision: result.decision,
      peaks: result.peaks,
      baselines: result.baselines,
      graphModes: result.graphModes,
      scores: result.scores,
      graph: { learned: Array.from(result.graph.learned), start: Array.from(result.graph.start), jaccard: result.graph.jaccard },
    };
    put('report.json', JSON.stringify(json, null, 1) + '\n');
    result.targets.forEach((target, k) => {
      // The GNN beside the baseline with the lowest overall MAE for this target.
      const best = result.scores.slice(1).reduce((a, b) => (b.overall[k]!.mae < a.overall[k]!.mae ? b : a));
      result.services.forEach((service, s) => put(`forecast-${service}-${target}.svg`, forecastChart(result, s, k, options.plotStep, [names[0]!, best.name])));
    });
    const labels = result.services;
    put('graph-learned.svg', heatmapSvg(result.graph.learned, labels, labels, { title: graphTitle(result.graphModes.main.graphMode), cellDigits: 2 }));
    put('graph-start.svg', heatmapSvg(result.graph.start, labels, labels, { title: 'starting graph: call graph + self-loops, normalized', cellDigits: 2 }));
    if (options.history.length > 0) put('loss.svg', lossChart(options.history));
  });
  return written;
}
