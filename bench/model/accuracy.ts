/**
 * Accuracy benchmark on recorded data: scores a trained model (learned graph) and its ablation
 * (the same model config and seed trained with `--graph-mode identity`, i.e. no message passing)
 * on the held-out last part of the data, beside persistence, moving average and Holt on the same
 * windows, and checks the goal GNN MAE ≤ 0.85 × the best baseline's at every horizon ≥ 2 minutes.
 * Prints a markdown section for RESULTS.md.
 *
 *   npm run build && node dist/bench/model/accuracy.js --learned models/online-boutique \
 *     --ablation /tmp/online-boutique-identity --data data/boutique-30s --topology data/topologies/online-boutique.yaml
 */
import { parseArgs } from 'node:util';
import { loadGnnForecaster } from '../../src/model/index.js';
import { evaluateModel, type EvaluationResult } from '../../src/model/evaluation.js';
import { loadTrainingData } from '../../src/model/training-data.js';

const GOAL_RATIO = 0.85;
const GOAL_FROM_SECONDS = 120;

const { values: args } = parseArgs({
  options: {
    learned: { type: 'string' },
    ablation: { type: 'string' },
    data: { type: 'string', default: 'data/boutique-30s' },
    topology: { type: 'string' },
  },
});
if (!args.learned || !args.ablation) throw new Error('usage: accuracy.js --learned <model dir> --ablation <model dir> [--data <path>] [--topology <file>]');

async function evaluate(dir: string): Promise<{ result: EvaluationResult; seconds: number; epochs: number }> {
  const model = await loadGnnForecaster(dir);
  try {
    const { dataset } = loadTrainingData(args.data!, { topology: args.topology, stepSeconds: model.info.stepSeconds, required: model.info.features });
    if (model.info.training.split.length !== dataset.length) throw new Error(`${dir} was trained on ${model.info.training.split.length} steps, the data has ${dataset.length}`);
    const result = evaluateModel(model, dataset, model.info.training.split.valEnd);
    return { result, seconds: model.info.training.seconds, epochs: model.info.training.history.length };
  } finally {
    model.dispose();
  }
}

const learned = await evaluate(args.learned);
const ablation = await evaluate(args.ablation);
const r = learned.result;
const lines: string[] = [];
lines.push(`held-out steps ${r.split.start}..${r.split.end} (${r.origins.length} windows of ${r.stepSeconds} s steps), MAE in original units`);
let met = 0;
let checked = 0;
r.targets.forEach((target, k) => {
  lines.push('', `### ${target}`, '', '| step | min | GNN (learned graph) | GNN (identity graph) | persistence | moving average | Holt | GNN / best baseline | goal ≤ 0.85 | learned / identity |', '|---|---|---|---|---|---|---|---|---|---|');
  for (let h = 0; h < r.horizon; h++) {
    const mae = r.scores.map((s) => s.perHorizon[h]![k]!.mae);
    const identity = ablation.result.scores[0]!.perHorizon[h]![k]!.mae;
    const best = Math.min(...mae.slice(1));
    const ratio = mae[0]! / best;
    const seconds = (h + 1) * r.stepSeconds;
    const goal = seconds >= GOAL_FROM_SECONDS ? (ratio <= GOAL_RATIO ? 'met' : 'missed') : '–';
    if (seconds >= GOAL_FROM_SECONDS) {
      checked++;
      if (ratio <= GOAL_RATIO) met++;
    }
    const f = (v: number): string => v.toPrecision(4);
    lines.push(`| ${h + 1} | ${(seconds / 60).toFixed(1)} | ${f(mae[0]!)} | ${f(identity)} | ${f(mae[1]!)} | ${f(mae[2]!)} | ${f(mae[3]!)} | ${ratio.toFixed(3)} | ${goal} | ${(mae[0]! / identity).toFixed(3)} |`);
  }
  const overall = r.scores.map((s) => s.overall[k]!);
  lines.push('', `all steps: GNN MAE ${overall[0]!.mae.toPrecision(4)}, RMSE ${overall[0]!.rmse.toPrecision(4)}, MAPE ${overall[0]!.mape.toFixed(1)} %; ` +
    `identity-graph GNN MAE ${ablation.result.scores[0]!.overall[k]!.mae.toPrecision(4)}; best baseline MAE ${Math.min(...overall.slice(1).map((o) => o.mae)).toPrecision(4)}`);
});
lines.push('', `goal (GNN MAE ≤ ${GOAL_RATIO} × best baseline, every horizon ≥ 2 min, req and cpu_cores): met at ${met} of ${checked} horizon steps`);
lines.push(`learned graph vs starting call graph: weighted Jaccard ${r.graph.jaccard.mean.toFixed(3)}`);
lines.push(`training (from model.json): learned ${learned.seconds.toFixed(0)} s / ${learned.epochs} epochs; identity ${ablation.seconds.toFixed(0)} s / ${ablation.epochs} epochs`);
process.stdout.write(lines.join('\n') + '\n');
