/**
 * The command line starts fast and fails the way its help says: `npm start` compiles only `src/`
 * (not the tests and benchmarks), `--help` imports no heavy library, and usage errors exit 2.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { tempDir } from '../../support/pki.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

function run(args: readonly string[], nodeArgs: readonly string[] = []): { code: number | null; output: string } {
  const r = spawnSync(process.execPath, [...nodeArgs, MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, output: r.stdout + r.stderr };
}

/** Every module URL resolved while running the CLI with `args` (a resolve hook appends them to a file). */
function modulesLoaded(args: readonly string[]): string[] {
  const dir = tempDir('deepscaler-imports-');
  const file = join(dir, 'urls.txt');
  const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(file)}, result.url + '\\n');
  return result;
}`;
  const registerHook = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  try {
    const r = run(args, ['--import', `data:text/javascript,${encodeURIComponent(registerHook)}`]);
    expect(r.code, r.output).to.equal(0);
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every command a file in src/cli defines (`.command('name')`), so a new one cannot be left out of main.ts. */
const COMMANDS = readdirSync(join(ROOT, 'src', 'cli'))
  .filter((f) => f.endsWith('.ts') && f !== 'main.ts')
  .flatMap((f) => [...readFileSync(join(ROOT, 'src', 'cli', f), 'utf8').matchAll(/\.command\('([a-z-]+)'\)/g)].map((m) => m[1]!));

const HEAVY = ['@tensorflow/', '@kubernetes/client-node', '@grpc/', '/express/', 'node-forge'];

describe('command line start-up', function () {
  this.timeout(60_000);

  it('npm start compiles src/ only: no test or benchmark file is in its TypeScript project', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start']).to.match(/^npm run build:src\b/);
    const project = /tsc -p (\S+)/.exec(scripts['build:src']!)?.[1];
    expect(project, 'build:src names its tsconfig').to.be.a('string');
    const parsed = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, project!),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(String(d.messageText));
        },
      },
    );
    const files = parsed!.fileNames.map((f) => relative(ROOT, f));
    expect(files).to.include('src/cli/main.ts');
    expect(files.filter((f) => !f.startsWith('src/'))).to.deep.equal([]);
    // Same output folder as the full build, so dist/src/cli/main.js is what both run.
    expect(parsed!.options.outDir).to.equal(join(ROOT, 'dist'));
  });

  it('--help imports none of TensorFlow.js, the Kubernetes client, gRPC, express or node-forge', () => {
    const heavy = modulesLoaded(['--help']).filter((url) => HEAVY.some((h) => url.includes(h)));
    expect(heavy).to.deep.equal([]);
  });

  it('a command imports only its own modules: collect --help loads no TensorFlow.js and no gRPC', () => {
    const loaded = modulesLoaded(['collect', '--help']);
    expect(loaded.some((u) => u.endsWith('/cli/collect.js'))).to.equal(true);
    expect(loaded.filter((u) => u.includes('@tensorflow/') || u.includes('@grpc/') || u.endsWith('/cli/serve.js'))).to.deep.equal([]);
  });

  it('finds the commands to check', () => {
    expect(COMMANDS).to.include.members(['serve', 'collect', 'train', 'evaluate', 'simulate']);
  });

  it('still lists every command with a summary in --help, and shows a command help with `help <command>`', () => {
    const top = run(['--help']);
    for (const command of COMMANDS) expect(top.output).to.match(new RegExp(`^\\s+${command}\\b.+`, 'm'));
    const help = run(['help', 'collect']);
    expect(help.code).to.equal(0);
    expect(help.output).to.contain('--prometheus');
  });

  // Required options and arguments are checked first: give them, so the unknown flag is the error.
  const required: Record<string, string[]> = {
    collect: ['--prometheus=http://127.0.0.1:1', '--namespace=shop', '--out=/nonexistent/x'],
    explain: ['shop'],
    'import-nezha': ['--from=/nonexistent', '--out=/nonexistent/x'],
  };
  for (const command of COMMANDS) {
    it(`${command}: an unknown flag exits 2 with the error and the usage`, () => {
      const r = run([command, ...(required[command] ?? []), '--no-such-flag']);
      expect(r.code, r.output).to.equal(2);
      expect(r.output).to.contain("unknown option '--no-such-flag'");
      expect(r.output).to.contain(`Usage: deepscaler ${command}`);
    });
  }

  it('an unknown command exits 2', () => {
    const r = run(['servee']);
    expect(r.code).to.equal(2);
    expect(r.output).to.contain("unknown command 'servee'");
  });
});
