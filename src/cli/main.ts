#!/usr/bin/env node
/**
 * The `deepscaler` command line: one file per command in this folder, each adding itself here.
 */
import { Command } from 'commander';
import { ConfigError } from '../core/index.js';
import { registerServe } from './serve.js';
import { registerCollect } from './collect.js';
import { registerTrain } from './train.js';
import { registerEvaluate } from './evaluate.js';
import { registerSimulate } from './simulate.js';
import { registerExplain } from './explain.js';
import { registerImport } from './import.js';
import { registerRetrain } from './retrain.js';

const program = new Command();
program
  .name('deepscaler')
  .description('Predictive autoscaling for microservices: forecast demand with a spatiotemporal GNN, serve desired replicas to HPAs.')
  .showHelpAfterError();

// Commands register themselves below (serve, collect, import-nezha, train, evaluate, simulate, explain, retrain).
registerServe(program);
registerTrain(program);
registerEvaluate(program);
registerCollect(program);
registerImport(program);
registerSimulate(program);
registerExplain(program);
registerRetrain(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env['LOG_LEVEL'] === 'debug' && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  process.exit(1);
});
