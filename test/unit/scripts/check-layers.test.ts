import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Checker from '../../../scripts/check-layers.mjs';

// dist/test/unit/scripts → the repository root
const checkerPath = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../scripts/check-layers.mjs');
const { run } = (await import(pathToFileURL(checkerPath).href)) as typeof Checker;

/** Writes a src/ tree (path → text) into a fresh folder and runs the checker on it. */
function withTree<T>(files: Record<string, string>, use: (root: string) => T): T {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, 'src', path)), { recursive: true });
      writeFileSync(join(root, 'src', path), text);
    }
    return use(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function check(files: Record<string, string>, ...flags: string[]): { status: number; out: string } {
  return withTree(files, (root) => {
    const { exitCode, lines } = run(['--root', root, ...flags]);
    return { status: exitCode, out: lines.join('\n') };
  });
}

const downhill = {
  'core/index.ts': 'export interface Frame { readonly timestamp: number }\n',
  'history/index.ts': "import type { Frame } from '../core/index.js';\nexport type Kept = Frame;\n",
  'planning/index.ts': "import type { Kept } from '../history/index.js';\nexport type Plan = Kept;\n",
};

describe('the layer checker (scripts/check-layers.mjs)', () => {
  it('passes a tree whose imports all point down the layers', () => {
    const { status, out } = check(downhill, '--index');
    expect(out).to.contain('— ok');
    expect(status).to.equal(0);
  });

  it('fails on one import against the direction, naming the file, the line and both folders', () => {
    const { status, out } = check({
      ...downhill,
      'core/units.ts': "// the vocabulary must not know the planner\nimport type { Plan } from '../planning/index.js';\nexport type P = Plan;\n",
    });
    expect(status).to.equal(1);
    expect(out).to.contain("core/units.ts:2: core → planning ('../planning/index.js') imports a layer above it");
    expect(out).to.contain('folders in one import cycle: core, history, planning');
  });

  it('catches type-only imports, re-exports and dynamic import() alike', () => {
    const { status, out } = check({
      ...downhill,
      'history/a.ts': "export { type Plan } from '../planning/index.js';\n",
      'history/b.ts': "export async function later() { return import('../planning/index.js'); }\n",
    });
    expect(status).to.equal(1);
    expect(out).to.contain('history/a.ts:1: history → planning');
    expect(out).to.contain('history/b.ts:1: history → planning');
  });

  it('forbids siblings on one layer from importing each other', () => {
    const { status, out } = check({
      ...downhill,
      'serving/index.ts': "import type { Stub } from '../grpc/index.js';\nexport type S = Stub;\n",
      'grpc/index.ts': 'export type Stub = 1;\n',
    });
    expect(status).to.equal(1);
    expect(out).to.contain('serving → grpc');
    expect(out).to.contain('a sibling on the same layer');
  });

  it('fails on a folder that no layer lists', () => {
    const { status, out } = check({ ...downhill, 'misc/index.ts': 'export const x = 1;\n' });
    expect(status).to.equal(1);
    expect(out).to.contain('src/misc/ is on no layer');
  });

  it('with --index, fails on a cross-folder import that bypasses the index.ts; a folder may reach its own files', () => {
    const tree = {
      ...downhill,
      'history/ring.ts': 'export const size = 1;\n',
      'history/index.ts': "export { size } from './ring.js';\n",
      'planning/plan.ts': "import { size } from '../history/ring.js';\nexport const n = size;\n",
    };
    expect(check(tree).status).to.equal(0);
    const { status, out } = check(tree, '--index');
    expect(status).to.equal(1);
    expect(out).to.contain("planning/plan.ts:1: '../history/ring.js' bypasses src/history/index.ts");
    expect(out).not.to.contain('history/index.ts:1');
  });

  it('as a command, exits 1 on a backward import and prints why', () => {
    const run = withTree({ ...downhill, 'history/up.ts': "import type { Plan } from '../planning/index.js';\n" }, (root) =>
      spawnSync(process.execPath, [checkerPath, '--root', root], { encoding: 'utf8' }),
    );
    expect(run.status).to.equal(1);
    expect(run.stdout).to.contain("history/up.ts:1: history → planning ('../planning/index.js') imports a layer above it");
  });

  it('with --report-only, prints the cycles and the count and exits 0', () => {
    const { status, out } = check({ ...downhill, 'core/units.ts': "import type { Plan } from '../planning/index.js';\n" }, '--report-only');
    expect(status).to.equal(0);
    expect(out).to.contain('folders in one import cycle: core, history, planning');
    expect(out).to.contain('1 import(s) against the direction');
    expect(out).to.contain('(report only');
  });
});
