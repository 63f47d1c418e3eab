// Public surface of @vgglab/runner: the `vgglab` command line, running experiments and sweeps, the training
// loop and its parts (bench/loop.ts times them bare), predict and evaluate.

// --- the command line
export { main, COMMANDS } from './cli/cli.ts';
export type { Command, CommandIO } from './cli/command.ts';
export { CliError, UsageError, InterruptedError } from './errors.ts';

// --- plugins: the one registration place, `--plugin` modules, a spec's and a stored run's `plugins:`
export { builtinPlugins, commandRegistry, createBuiltinRegistry, loadPluginModule, registerRunPlugins, registerSpecPlugins } from './plugins.ts';

// --- experiments and sweeps (`vgglab exp`)
export { loadExperiment, runExp } from './sweep/experiment.ts';
export type { ExpOptions, ExpOutcome } from './sweep/experiment.ts';
export { sweepLabel } from './sweep/plan.ts';

// --- the training loop
export { runExperiment } from './loop/train.ts';
export type { RunExperimentOptions, RunResult, StopFlag } from './loop/context.ts';
export { Progress, formatDuration } from './loop/progress.ts';
export type { Output, StepProgress } from './loop/progress.ts';
export { buildModel, createOptimizer, openDataset, runEntries } from './loop/setup.ts';
export type { RunEntries } from './loop/setup.ts';
export { endsInSoftmax, evalStep, trainStep } from './loop/step.ts';

// --- predict and evaluate
export { loadRunModel, predictFiles, runCheckpoint } from './inference/predict.ts';
export type { Prediction, RunModel } from './inference/predict.ts';
export { evaluateModel } from './inference/evaluate.ts';
export { createPredictFn } from './inference/predict-server.ts';
