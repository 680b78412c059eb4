/**
 * DeepScaler's risk knob across the benchmark matrix (bench/sim/out/<app>-<trace>/seed<N>/outcome.json):
 * for every risk swept, DeepScaler's violations ÷ the violations of each peer's frontier at equal
 * cost (the CPU HPA, Holt, PHPA-style, periodic; < 1 = below that frontier), averaged over seeds.
 *
 * The default risk is chosen on validation traces only (WorldCup98 and ClarkNet, every application
 * and seed): the risk whose DeepScaler point lies furthest below the CPU HPA's frontier (geometric
 * mean of the ratio). The other traces (random-100max, Azure Functions) are the test.
 *
 *   npm run build && node dist/bench/sim/risk.js [out-dir]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { violationsAtCost } from '../../src/experiment/frontier.js';
import type { OutcomeJson } from '../../src/experiment/report.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OUT = process.argv[2] ?? join(ROOT, 'bench/sim/out');
const VALIDATION_TRACES = ['worldcup', 'clarknet'];
const PEERS = ['cpu-hpa', 'holt', 'phpa', 'periodic'] as const;

/** DeepScaler's point at `risk` ÷ `peer`'s frontier at the same cost; null when that cost is outside the frontier or it has no violations there. */
function ratio(doc: OutcomeJson, peer: string, risk: number): number | null {
  const p = doc.autoscalers.find((a) => a.name === 'deepscaler')?.points.find((x) => x.knob === risk);
  const frontier = doc.autoscalers.find((a) => a.name === peer)?.points;
  if (p === undefined || frontier === undefined) return null;
  const at = violationsAtCost(frontier, p.coreHours);
  return at === null ? null : at > 0 ? p.violationPct / at : p.violationPct === 0 ? 1 : Number.POSITIVE_INFINITY;
}

function geomean(values: readonly number[]): number {
  return Math.exp(values.reduce((a, v) => a + Math.log(Math.max(v, 1e-3)), 0) / values.length);
}

/** Mean (range) over seeds; `[k outside]`: k seeds' points lie outside the peer's cost range; `[k ∞]`: the peer has no violations there. */
function cell(values: Array<number | null>): string {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const infinite = values.filter((v) => v === Number.POSITIVE_INFINITY).length;
  const outside = values.filter((v) => v === null).length;
  const notes = `${outside > 0 ? ` [${outside} outside]` : ''}${infinite > 0 ? ` [${infinite} ∞]` : ''}`;
  if (known.length === 0) return (infinite > 0 ? '∞' : 'outside') + (infinite > 0 && outside > 0 ? ` [${outside} outside]` : '');
  const mean = known.reduce((a, b) => a + b, 0) / known.length;
  return `${mean.toFixed(2)}${known.length > 1 ? ` (${Math.min(...known).toFixed(2)}–${Math.max(...known).toFixed(2)})` : ''}${notes}`;
}

const scenarios = existsSync(OUT)
  ? readdirSync(OUT)
      .filter((d) => existsSync(join(OUT, d, 'seed1', 'outcome.json')))
      .sort()
  : [];
const docsOf = (scenario: string): OutcomeJson[] =>
  readdirSync(join(OUT, scenario))
    .filter((d) => /^seed\d+$/.test(d) && existsSync(join(OUT, scenario, d, 'outcome.json')))
    .map((d) => JSON.parse(readFileSync(join(OUT, scenario, d, 'outcome.json'), 'utf8')) as OutcomeJson);
const risks = [
  ...new Set(scenarios.flatMap((s) => docsOf(s).flatMap((d) => d.autoscalers.find((a) => a.name === 'deepscaler')?.points.map((p) => p.knob) ?? []))),
].sort((a, b) => a - b);

// Choosing the default on validation traces: compared on the scenario-seeds where every risk's
// point lies inside the CPU HPA's cost range (elsewhere some risks have no figure to compare).
const isValidation = (scenario: string): boolean => VALIDATION_TRACES.some((t) => scenario.endsWith(`-${t}`));
const runs = (pick: (s: string) => boolean): OutcomeJson[] => scenarios.filter(pick).flatMap(docsOf);
const comparable = (docs: readonly OutcomeJson[]): OutcomeJson[] =>
  docs.filter((d) => risks.every((r) => Number.isFinite(ratio(d, 'cpu-hpa', r) ?? Number.NaN)));
const score = (risk: number, docs: readonly OutcomeJson[]): number => geomean(docs.map((d) => ratio(d, 'cpu-hpa', risk)!));
const validation = comparable(runs(isValidation));
const testRuns = runs((s) => !isValidation(s));
/** On the test traces, each risk over the scenario-seeds where its own point is inside. */
const testScore = (risk: number): string => {
  const inside = testRuns.filter((d) => Number.isFinite(ratio(d, 'cpu-hpa', risk) ?? Number.NaN));
  return inside.length === 0 ? `— (0 of ${testRuns.length} inside)` : `${score(risk, inside).toFixed(3)} (${inside.length} of ${testRuns.length} inside)`;
};
const lines: string[] = [];
lines.push(
  `| risk | validation traces (${validation.length} of ${runs(isValidation).length} scenario-seeds where every risk is inside): geo-mean violations ÷ CPU HPA at equal cost | test traces: same, where that risk is inside |`,
  '|---:|---:|---:|',
);
for (const risk of risks) lines.push(`| ${risk} | ${score(risk, validation).toFixed(3)} | ${testScore(risk)} |`);
const chosen = risks.reduce((a, b) => (score(b, validation) < score(a, validation) ? b : a));
lines.push('', `chosen on the validation traces (${VALIDATION_TRACES.join(', ')}): risk ${chosen}`, '');

lines.push(`| scenario | risk | ${PEERS.map((p) => `violations ÷ ${p} frontier at equal cost`).join(' | ')} | DeepScaler violations % |`);
lines.push(`|---|---:|${PEERS.map(() => '---:').join('|')}|---:|`);
for (const scenario of scenarios) {
  const docs = docsOf(scenario);
  for (const risk of risks) {
    const pct = docs.map((d) => d.autoscalers.find((a) => a.name === 'deepscaler')?.points.find((p) => p.knob === risk)?.violationPct ?? null);
    lines.push(
      `| ${scenario} (${docs.length} seeds)${isValidation(scenario) ? ' *validation*' : ''} | ${risk} | ${PEERS.map((peer) => cell(docs.map((d) => ratio(d, peer, risk)))).join(' | ')} | ${cell(pct)} |`,
    );
  }
}
process.stdout.write(lines.join('\n') + '\n');
