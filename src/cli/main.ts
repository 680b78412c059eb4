#!/usr/bin/env node
/**
 * The `deepscaler` command line: one file per command in this folder. Only the command being run
 * is imported (TensorFlow.js, the Kubernetes client and gRPC take seconds to load), so
 * `deepscaler --help` imports none of them. Usage errors (unknown flag or command, missing value)
 * exit 2, runtime failures 1.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../core/index.js';

type Register = (program: Command) => void;

/** Each command's one-line summary (for the top-level help) and how to load its module. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Register> }> = {
  serve: {
    summary: 'run the serving loop and the external metrics API (the default run without a cluster)',
    load: async () => (await import('./serve.js')).registerServe,
  },
  train: { summary: 'train the GNN on a dataset into a model folder', load: async () => (await import('./train.js')).registerTrain },
  evaluate: {
    summary: 'forecast accuracy of a model beside the baselines, with SVG plots',
    load: async () => (await import('./evaluate.js')).registerEvaluate,
  },
  collect: { summary: 'Prometheus range queries into a dataset folder', load: async () => (await import('./collect.js')).registerCollect },
  'import-nezha': {
    summary: 'a Nezha recording (60 s metrics and spans) into a dataset folder',
    load: async () => (await import('./import.js')).registerImport,
  },
  simulate: {
    summary: 'a simulated application under a trace with each autoscaler side by side',
    load: async () => (await import('./simulate.js')).registerSimulate,
  },
  retrain: {
    summary: 'collect, train and score a candidate model; promote it only if it beats the live one',
    load: async () => (await import('./retrain.js')).registerRetrain,
  },
  explain: {
    summary: 'why the adapter serves each replica count: the decision journal of a running adapter',
    load: async () => (await import('./explain.js')).registerExplain,
  },
};

export const USAGE_EXIT_CODE = 2;

function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(USAGE_EXIT_CODE);
  }
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env['LOG_LEVEL'] === 'debug' && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  process.exit(1);
}

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command();
  program
    .name('deepscaler')
    .description('Predictive autoscaling for microservices: forecast demand with a spatiotemporal GNN, serve desired replicas to HPAs.')
    .showHelpAfterError()
    // Commander exits 1 on every error; usage errors exit 2 as each command's help promises.
    // Set before the commands are added: subcommands inherit it.
    .exitOverride((err: CommanderError) => {
      process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT_CODE);
    });
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  const chosen = name === undefined ? undefined : COMMANDS[name];
  if (chosen !== undefined) {
    (await chosen.load())(program);
  } else {
    for (const [command, { summary }] of Object.entries(COMMANDS)) program.command(command).description(summary);
  }
  await program.parseAsync(argv);
}

main(process.argv).catch(fail);
