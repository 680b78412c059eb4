/**
 * Summarizes bench/sim/out/<scenario>/seed<N>/outcome.json into the tables of RESULTS.md: per
 * scenario and autoscaler point, the ratios against the CPU HPA's frontier (same interpolation as
 * the reports, src/experiment/frontier.ts), averaged over seeds with their range.
 *
 *   npm run build && node dist/bench/sim/summarize.js [out-dir]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RISK } from '../../src/config/schema.js';
import { costAtViolations, violationsAtCost } from '../../src/experiment/frontier.js';
import type { OutcomeJson } from '../../src/experiment/report.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OUT = process.argv[2] ?? join(ROOT, 'bench/sim/out');
/** The point of each autoscaler the headline reads: serve's default risk; PHPA's middle target. */
const HEADLINE: Record<string, number> = {
  deepscaler: DEFAULT_RISK,
  holt: DEFAULT_RISK,
  periodic: DEFAULT_RISK,
  phpa: 0.55,
  'perfect-foresight': DEFAULT_RISK,
};

interface Ratios {
  violation: number | null;
  cost: number | null;
  floor: number;
  violationPct: number;
}

function ratiosOf(doc: OutcomeJson, name: string, knob: number): Ratios | null {
  const hpa = doc.autoscalers.find((a) => a.name === 'cpu-hpa')!.points;
  const p = doc.autoscalers.find((a) => a.name === name)?.points.find((x) => x.knob === knob);
  if (p === undefined) return null;
  const atCost = violationsAtCost(hpa, p.coreHours);
  const atViolations = costAtViolations(hpa, p.violationPct);
  return {
    violation: atCost === null ? null : atCost > 0 ? p.violationPct / atCost : null,
    cost: atViolations === null ? null : p.coreHours / atViolations,
    floor: p.coreHours / doc.floorCoreHours,
    violationPct: p.violationPct,
  };
}

function stat(values: Array<number | null>, digits: number): string {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return 'outside';
  const mean = known.reduce((a, b) => a + b, 0) / known.length;
  const range = known.length > 1 ? ` (${Math.min(...known).toFixed(digits)}–${Math.max(...known).toFixed(digits)})` : '';
  const missing = known.length < values.length ? ` [${values.length - known.length} outside]` : '';
  return `${mean.toFixed(digits)}${range}${missing}`;
}

const scenarios = existsSync(OUT)
  ? readdirSync(OUT)
      .filter((d) => existsSync(join(OUT, d, 'seed1', 'outcome.json')))
      .sort()
  : [];
const lines: string[] = [];
lines.push('| scenario | autoscaler @ knob | violations ÷ CPU HPA at equal cost | cost ÷ CPU HPA at equal violations | cost ÷ floor | violations % |');
lines.push('|---|---|---:|---:|---:|---:|');
for (const scenario of scenarios) {
  const docs = readdirSync(join(OUT, scenario))
    .filter((d) => /^seed\d+$/.test(d) && existsSync(join(OUT, scenario, d, 'outcome.json')))
    .map((d) => JSON.parse(readFileSync(join(OUT, scenario, d, 'outcome.json'), 'utf8')) as OutcomeJson);
  const hpaFloor = docs.map((d) => Math.min(...d.autoscalers.find((a) => a.name === 'cpu-hpa')!.points.map((p) => p.coreHours)) / d.floorCoreHours);
  lines.push(`| ${scenario} (${docs.length} seeds) | cpu-hpa, cheapest point | 1 | 1 | ${stat(hpaFloor, 3)} | |`);
  for (const [name, knob] of Object.entries(HEADLINE)) {
    const r = docs.map((d) => ratiosOf(d, name, knob)).filter((x): x is Ratios => x !== null);
    if (r.length === 0) continue;
    lines.push(
      `| | ${name} @ ${knob} | ${stat(
        r.map((x) => x.violation),
        2,
      )} | ${stat(
        r.map((x) => x.cost),
        3,
      )} | ${stat(
        r.map((x) => x.floor),
        3,
      )} | ${stat(
        r.map((x) => x.violationPct),
        3,
      )} |`,
    );
  }
}
process.stdout.write(lines.join('\n') + '\n');
