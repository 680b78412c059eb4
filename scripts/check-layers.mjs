#!/usr/bin/env node
/**
 * The one-way streets of src/: each folder sits on one layer of LAYERS and may import only folders
 * on layers below its own. This script fails on any import against that direction (which also
 * rules out every folder-level cycle; cycles are reported on their own because they are what a
 * reader has to break), on a folder no layer lists, and, with --index, on a cross-folder import
 * that bypasses the folder's index.ts (its public surface).
 *
 *   node scripts/check-layers.mjs [--root DIR] [--index] [--report-only]
 *
 * --report-only prints the cycles and a count and exits 0 (for a tree that still has them).
 * Tests, benchmarks and scripts sit above everything and are not checked.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The allowed direction, bottom first: a folder imports only folders on lines above its own, and
 * folders on one line (siblings) do not import each other. This list is the only place the direction
 * is written down. The data flows source → history → forecast → planner → snapshot → API (README
 * "How it works"); imports follow what each stage must know: history and the forecasters need only
 * the vocabulary, so they sit low, and sources sit above the simulated cluster because their
 * registry builds the simulator source too.
 */
export const LAYERS = [
  ['core', 'util', 'telemetry'], // the shared vocabulary (frames, features, config errors) and plumbing with no project imports
  ['graph'], // call graphs and the topology file
  ['dataset'], // recorded frames on disk
  ['history'], // ring buffer of recent frames per application
  ['forecast'], // the forecaster contract and the baselines
  ['sim'], // the simulated cluster (workload, pods, the HPA controller model): a source of frames
  ['sources'], // where frames come from, and the registry that builds each kind from its config
  ['model'], // the GNN: network, trainer, persistence
  ['planning'], // demand → replicas: the one decision engine
  ['snapshot'], // the immutable published decisions
  ['report'], // SVG plots and tables for evaluate and simulate
  ['auth'], // who may read the API
  ['kube'], // Kubernetes clients: cluster config, Deployments, reviews
  ['serving', 'grpc'], // the external metrics API and the KEDA external scaler, both reading snapshots
  ['explain'], // why each number: the decision journal, preview scorecard, Events
  ['config'], // the serve configuration file, parsed through the registries
  ['loop'], // wiring: one application's pipeline, and the adapter inside the simulator
  ['experiment'], // the simulated race between autoscalers
  ['cli'], // one file per command
];

const rankOf = new Map(LAYERS.flatMap((folders, rank) => folders.map((folder) => [folder, rank])));

function listTs(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listTs(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every relative import of every file under src/: static, type-only, re-exports and dynamic import(). */
export function collectImports(srcDir) {
  const edges = [];
  for (const file of listTs(srcDir)) {
    const text = readFileSync(file, 'utf8');
    const from = relative(srcDir, file).split(sep);
    for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = relative(srcDir, resolve(dirname(file), imported.fileName)).split(sep);
      if (target[0] === '..') continue; // outside src/ (e.g. package.json)
      const line = text.slice(0, imported.pos).split('\n').length;
      edges.push({
        file: relative(dirname(srcDir), file),
        line,
        specifier: imported.fileName,
        fromFolder: from.length > 1 ? from[0] : '.',
        toFolder: target.length > 1 ? target[0] : '.',
        toPath: target,
      });
    }
  }
  return edges;
}

/** Folder-level strongly connected components with more than one folder (Tarjan). */
export function folderCycles(edges) {
  const graph = new Map();
  for (const { fromFolder, toFolder } of edges) {
    if (fromFolder === toFolder) continue;
    if (!graph.has(fromFolder)) graph.set(fromFolder, new Set());
    if (!graph.has(toFolder)) graph.set(toFolder, new Set());
    graph.get(fromFolder).add(toFolder);
  }
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components;
}

export function checkLayers(srcDir, { index = false } = {}) {
  const edges = collectImports(srcDir);
  const folders = readdirSync(srcDir).filter((name) => statSync(join(srcDir, name)).isDirectory());
  const unplaced = folders
    .filter((folder) => !rankOf.has(folder))
    .map((folder) => `src/${folder}/ is on no layer: add it to LAYERS in scripts/check-layers.mjs`);
  const backward = [];
  const bypass = [];
  for (const edge of edges) {
    if (edge.fromFolder === edge.toFolder) continue;
    const from = rankOf.get(edge.fromFolder);
    const to = rankOf.get(edge.toFolder);
    if (from === undefined || to === undefined) continue; // reported as unplaced
    if (to >= from) {
      const why = to === from ? 'a sibling on the same layer' : 'a layer above it';
      backward.push(`${edge.file}:${edge.line}: ${edge.fromFolder} → ${edge.toFolder} ('${edge.specifier}') imports ${why}`);
    } else if (index && edge.toPath.length > 1 && !(edge.toPath.length === 2 && /^index\.[jt]s$/.test(edge.toPath[1]))) {
      bypass.push(`${edge.file}:${edge.line}: '${edge.specifier}' bypasses src/${edge.toFolder}/index.ts`);
    }
  }
  const cycles = folderCycles(edges).map((component) => `folders in one import cycle: ${component.join(', ')}`);
  return { cycles, unplaced, backward, bypass };
}

/** The command line, without touching the process: returns the exit code and the lines to print. */
export function run(argv) {
  const flag = (name) => argv.includes(name);
  const rootAt = argv.indexOf('--root');
  const root = rootAt >= 0 ? resolve(argv[rootAt + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const result = checkLayers(join(root, 'src'), { index: flag('--index') });
  const lines = [...result.unplaced, ...result.cycles, ...result.backward, ...result.bypass];
  const summary = `layers: ${result.cycles.length} folder cycle(s), ${result.backward.length} import(s) against the direction, ${result.unplaced.length} unplaced folder(s)${flag('--index') ? `, ${result.bypass.length} import(s) bypassing an index.ts` : ''}`;
  if (lines.length === 0) return { exitCode: 0, lines: [`${summary} — ok`] };
  // Report-only runs inside npm test: the cycles and the count, not every import (run without it for those).
  if (flag('--report-only')) return { exitCode: 0, lines: [...result.unplaced, ...result.cycles, `${summary} (report only; details: npm run lint:layers)`] };
  return { exitCode: 1, lines: [...lines, `${summary}: the allowed direction is LAYERS in scripts/check-layers.mjs`] };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { exitCode, lines } = run(process.argv.slice(2));
  for (const line of lines) console.log(line);
  process.exitCode = exitCode;
}
