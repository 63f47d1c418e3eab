/** `vgglab runs`: list runs, show one, compare two, delete some, mark dead ones killed. */
import * as fs from 'node:fs';
import { PARAM_KEYS, RUN_STATUSES, type LatestMetric, type RunDetails, type RunPage, type RunReader, type RunStatus, type RunStore, type RunSummary } from '@vgglab/store';
import { flag, int, list, printJson, str, table, type Command, type CommandIO, type ParsedValues } from '../command.ts';
import { DEFAULT_RUNS_LIMIT, EXIT, METRIC } from '../../defaults.ts';
import { CliError, UsageError } from '../../errors.ts';
import { formatDuration } from '../../loop/progress.ts';

/** Opens the store `--db` names (or the default; it must exist) for writing, hands it to `use`, and closes it. */
async function withRunStore<T>(values: ParsedValues, io: CommandIO, use: (store: RunStore) => T | Promise<T>): Promise<T> {
  const { openExistingStore, withStore } = await import('../../store.ts');
  return withStore(openExistingStore(str(values, 'db'), io.env), use);
}

/** The same, read-only: subcommands that only read never create or migrate the file. */
async function withRunReader<T>(values: ParsedValues, io: CommandIO, use: (store: RunReader) => T | Promise<T>): Promise<T> {
  const { openExistingReader, withStore } = await import('../../store.ts');
  return withStore(openExistingReader(str(values, 'db'), io.env), use);
}

const STATUSES = RUN_STATUSES;
const DB_OPTION = { type: 'string', description: 'Run store file (default runs/vgglab.db; VGGLAB_DB).', valueName: 'file' } as const;
const SERVER_OPTION = { type: 'string', description: 'Read from this tracking server (VGGLAB_TRACKING_URI) instead of a store file.', valueName: 'url' } as const;

/** The tracking server's client when `--server` / VGGLAB_TRACKING_URI names one; undefined for the local store. */
async function remoteClient(values: ParsedValues, io: CommandIO) {
  const { trackingClient, trackingUri } = await import('../../tracking/target.ts');
  const url = trackingUri(str(values, 'server'), io.env);
  return url ? trackingClient(url, io.env) : undefined;
}

/** Subcommands that change or collect the store act on the file, on the server's machine. */
async function refuseRemote(values: ParsedValues, io: CommandIO, what: string): Promise<void> {
  const { trackingUri } = await import('../../tracking/target.ts');
  const url = trackingUri(str(values, 'server'), io.env);
  if (url) throw new CliError(`runs ${what} works on the store file: run it on the tracking server's machine (--db), not through ${url}`);
}

/** Latest metrics shown in the run list. */
const LIST_METRICS = [METRIC.valAccuracy, METRIC.valLoss, METRIC.trainEpochLoss];

function fmt(m: LatestMetric | undefined): string {
  if (!m) return '-';
  const v = m.value;
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  // Four decimals read well for losses and accuracies; a learning rate of 2e-6 would show as 0.0000.
  return Math.abs(v) >= 1e-3 ? v.toFixed(4) : v.toPrecision(3);
}

function parseStatus(values: string[]): RunStatus[] | undefined {
  if (values.length === 0) return undefined;
  const out = values.flatMap((v) => v.split(',')).map((s) => s.trim());
  for (const s of out) {
    if (!STATUSES.includes(s as RunStatus)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, received '${s}'`);
  }
  return out as RunStatus[];
}

const listCommand: Command = {
  name: 'list',
  summary: 'List runs, newest first, with key params and latest metrics (the default of `vgglab runs`).',
  usage: 'vgglab runs [list] [--status s] [--limit n] [--experiment name] [--json]',
  options: {
    db: DB_OPTION,
    status: { type: 'string', multiple: true, description: `Only runs with this status (${STATUSES.join(', ')}).`, valueName: 'status' },
    limit: { type: 'string', description: `At most this many runs (default ${DEFAULT_RUNS_LIMIT}).`, valueName: 'n' },
    experiment: { type: 'string', description: 'Only runs of this experiment.', valueName: 'name' },
    server: SERVER_OPTION,
    json: { type: 'boolean', description: 'Print JSON.' },
  },
  async run(values, positionals, io) {
    if (positionals.length) throw new UsageError(`runs list takes no arguments, received '${positionals[0]}'`);
    const query = { limit: int(values, 'limit', DEFAULT_RUNS_LIMIT), status: parseStatus(list(values, 'status')), experiment: str(values, 'experiment') };
    const client = await remoteClient(values, io);
    if (client) {
      const { remoteRunList } = await import('../../tracking/remote-runs.ts');
      const page = await remoteRunList(client, query).finally(() => client.close());
      return printRunList(page, values, io);
    }
    return withRunReader(values, io, (store) => printRunList(store.listRuns(query), values, io));
  },
};

/** The run list as a table (or JSON), from the local store or a tracking server. */
function printRunList(page: RunPage, values: ParsedValues, io: CommandIO): number {
  if (flag(values, 'json')) {
    printJson(io, { runs: page.runs, total: page.total });
    return EXIT.ok;
  }
  if (page.runs.length === 0) {
    io.stdout.write('no runs\n');
    return EXIT.ok;
  }
  const rows = [['ID', 'EXPERIMENT', 'STATUS', 'STARTED', 'DURATION', 'MODEL', 'OPTIMIZER', 'LR', ...LIST_METRICS.map((m) => m.toUpperCase())]];
  for (const r of page.runs as RunSummary[]) {
    rows.push([
      r.id.slice(0, 8),
      r.experimentName,
      r.status,
      new Date(r.startTime).toISOString().replace('T', ' ').slice(0, 19),
      formatDuration(r.durationMs / 1000),
      r.params[PARAM_KEYS.modelName] ?? '-',
      r.params[PARAM_KEYS.optimizerName] ?? '-',
      r.params[PARAM_KEYS.learningRate] ?? '-',
      ...LIST_METRICS.map((k) => fmt(r.metrics[k])),
    ]);
  }
  io.stdout.write(table(rows));
  if (page.total > page.runs.length) io.stdout.write(`(${page.runs.length} of ${page.total} runs; --limit to see more)\n`);
  return EXIT.ok;
}

const showCommand: Command = {
  name: 'show',
  summary: 'Show one run: status, params, metric history and artifacts.',
  usage: 'vgglab runs show <run-id> [--json]',
  options: { db: DB_OPTION, server: SERVER_OPTION, json: { type: 'boolean', description: 'Print JSON.' } },
  async run(values, positionals, io) {
    if (positionals.length !== 1) throw new UsageError('runs show takes one run id (or a unique prefix of at least 4 characters)');
    const client = await remoteClient(values, io);
    if (client) {
      try {
        const { remoteMetricHistory } = await import('../../tracking/remote-runs.ts');
        const id = await client.resolveRunId(positionals[0]!);
        const run = (await client.getRun(id))!;
        const keys = Object.keys(run.metrics).sort();
        return printRun(run, keys, await remoteMetricHistory(client, id, keys), values, io);
      } finally {
        await client.close();
      }
    }
    return withRunReader(values, io, (store) => {
      const id = store.resolveRunId(positionals[0]!);
      const keys = store.listMetricKeys([id]);
      const history = Object.fromEntries(keys.map((k) => [k, store.getMetricHistory(id, k).map((p) => ({ step: p.step, epoch: p.epoch, value: p.value, timestamp: p.timestamp }))]));
      return printRun(store.getRun(id)!, keys, history, values, io);
    });
  },
};

type History = Record<string, { step: number; epoch: number | null; value: number; timestamp: number }[]>;

/** One run as text (or JSON, with its metric history), from the local store or a tracking server. */
function printRun(run: RunDetails, keys: string[], history: History, values: ParsedValues, io: CommandIO): number {
  if (flag(values, 'json')) {
    printJson(io, { ...run, metricHistory: history });
    return EXIT.ok;
  }
  const out: string[] = [];
  out.push(`run ${run.id} (${run.name})`);
  out.push(`  experiment  ${run.experimentName}`);
  out.push(`  status      ${run.status}`);
  out.push(`  started     ${new Date(run.startTime).toISOString()}${run.endTime ? `, ended ${new Date(run.endTime).toISOString()}` : ''} (${formatDuration(run.durationMs / 1000)})`);
  out.push(`  backend     ${run.backend ?? '-'}   host ${run.host}   pid ${run.pid ?? '-'}`);
  out.push(`  spec hash   ${run.specHash}   seed ${run.seed ?? '-'}   git ${run.gitCommit ?? '-'}`);
  if (run.sweepValues) out.push(`  sweep       ${Object.entries(run.sweepValues).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`);
  if (Object.keys(run.tags).length) out.push(`  tags        ${Object.entries(run.tags).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  out.push('', 'params:');
  for (const [k, v] of Object.entries(run.params).sort(([a], [b]) => a.localeCompare(b))) out.push(`  ${k} = ${v}`);
  out.push('', 'metrics (latest / min / max, points):');
  for (const [k, m] of Object.entries(run.metrics).sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`  ${k}: ${m.value} at step ${m.step} / ${m.min ?? '-'} / ${m.max ?? '-'}, ${m.count} points`);
  }
  const epochKeys = keys.filter((k) => history[k]!.length > 0 && history[k]!.every((p) => p.epoch !== null) && !k.startsWith('train/loss') && !k.startsWith('train/lr') && !k.startsWith('train/images'));
  if (epochKeys.length) {
    out.push('', 'history by epoch:');
    const byEpoch = new Map<number, Record<string, number>>();
    for (const k of epochKeys) for (const p of history[k]!) byEpoch.set(p.epoch!, { ...(byEpoch.get(p.epoch!) ?? {}), [k]: p.value });
    const rows = [['EPOCH', ...epochKeys]];
    for (const [e, vals] of [...byEpoch.entries()].sort((a, b) => a[0] - b[0])) {
      rows.push([String(e + 1), ...epochKeys.map((k) => (vals[k] === undefined ? '-' : vals[k]!.toFixed(4)))]);
    }
    out.push(table(rows).trimEnd().split('\n').map((l) => `  ${l}`).join('\n'));
  }
  if (run.artifacts.length) {
    out.push('', 'artifacts:');
    for (const a of run.artifacts) out.push(`  ${a.kind}: ${a.path}${a.epoch !== null ? ` (epoch ${a.epoch + 1}, step ${a.step})` : ''}`);
  }
  if (run.evaluations.length) {
    out.push('', 'evaluations:');
    for (const e of run.evaluations) out.push(`  ${new Date(e.createdAt).toISOString()} ${e.dataset}: accuracy ${e.accuracy.toFixed(4)}`);
  }
  io.stdout.write(out.join('\n') + '\n');
  return EXIT.ok;
}

const gcCommand: Command = {
  name: 'gc',
  summary: "Mark runs still 'running' whose process is gone (kill -9, a crash) as killed.",
  usage: 'vgglab runs gc [--dry-run] [--json]',
  options: {
    db: DB_OPTION,
    'dry-run': { type: 'boolean', description: 'Only report what would be marked.' },
    json: { type: 'boolean', description: 'Print JSON.' },
  },
  async run(values, positionals, io) {
    if (positionals.length) throw new UsageError(`runs gc takes no arguments, received '${positionals[0]}'`);
    await refuseRemote(values, io, 'gc');
    return withRunStore(values, io, (store) => {
      const result = store.gcRuns({ dryRun: flag(values, 'dry-run') });
      if (flag(values, 'json')) printJson(io, result);
      else if (result.killed.length === 0) io.stdout.write('no dead runs\n');
      else io.stdout.write(`${flag(values, 'dry-run') ? 'would mark' : 'marked'} ${result.killed.length} run(s) killed: ${result.killed.join(', ')}\n`);
      return EXIT.ok;
    });
  },
};

function metricPoints(run: RunDetails): number {
  return Object.values(run.metrics).reduce((n, m) => n + m.count, 0);
}

const deleteCommand: Command = {
  name: 'delete',
  summary: 'Delete runs: their params, metrics and evaluations in the store, and their folder of checkpoints.',
  usage: 'vgglab runs delete <run-id>... [--yes] [--json]',
  options: {
    db: DB_OPTION,
    yes: { type: 'boolean', description: 'Delete. Without it, only say what would be deleted.' },
    json: { type: 'boolean', description: 'Print JSON.' },
  },
  details: 'A running run is refused: stop it first (or `vgglab runs gc` if its process is gone).',
  async run(values, positionals, io) {
    if (positionals.length === 0) throw new UsageError('runs delete needs at least one run id (or a unique prefix of at least 4 characters)');
    await refuseRemote(values, io, 'delete');
    const { runFolder } = await import('@vgglab/store');
    return withRunStore(values, io, (store) => {
      // Everything is checked before anything is deleted: one bad id deletes nothing.
      const ids = [...new Set(positionals.map((arg) => store.resolveRunId(arg)))];
      const plans = ids.map((id) => {
        const run = store.getRun(id)!;
        // The store refuses a running run too (deleteRun); asked here first so that one running run deletes nothing.
        if (run.status === 'running') {
          throw new CliError(`run ${id} is running (pid ${run.pid ?? '?'} on ${run.host}); stop it first, or \`vgglab runs gc\` if its process is gone`);
        }
        const folder = runFolder(store.file, run);
        return { runId: id, experiment: run.experimentName, status: run.status, metricPoints: metricPoints(run), folder: folder && fs.existsSync(folder) ? folder : null };
      });
      const yes = flag(values, 'yes');
      if (yes) {
        for (const plan of plans) {
          store.deleteRun(plan.runId);
          if (plan.folder) fs.rmSync(plan.folder, { recursive: true, force: true });
        }
      }
      if (flag(values, 'json')) {
        printJson(io, { deleted: yes, runs: plans });
        return EXIT.ok;
      }
      for (const p of plans) {
        const what = `run ${p.runId} (${p.experiment}, ${p.status}, ${p.metricPoints} metric points${p.folder ? `, folder ${p.folder}` : ', no files'})`;
        io.stdout.write(`${yes ? 'deleted' : 'would delete'} ${what}\n`);
      }
      if (!yes) io.stdout.write('nothing deleted: run again with --yes\n');
      return EXIT.ok;
    });
  },
};

/** Params (flattened) whose values differ between runs; absent params show as '-'. */
export function differingParams(runs: readonly Pick<RunDetails, 'params'>[]): [string, string[]][] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  return keys
    .map((k): [string, string[]] => [k, runs.map((r) => r.params[k] ?? '-')])
    .filter(([, vals]) => vals.some((v) => v !== vals[0]));
}

const diffCommand: Command = {
  name: 'diff',
  summary: 'Compare runs side by side: the params that differ, then every metric (latest, min, max).',
  usage: 'vgglab runs diff <run-id> <run-id>... [--all] [--json]',
  options: {
    db: DB_OPTION,
    all: { type: 'boolean', description: 'Show every param, not only those that differ.' },
    json: { type: 'boolean', description: 'Print JSON.' },
  },
  async run(values, positionals, io) {
    if (positionals.length < 2) throw new UsageError('runs diff needs at least two run ids (or unique prefixes of at least 4 characters)');
    return withRunReader(values, io, (store) => {
      const runs = positionals.map((arg) => store.getRun(store.resolveRunId(arg))!);
      const params = flag(values, 'all')
        ? [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort().map((k): [string, string[]] => [k, runs.map((r) => r.params[k] ?? '-')])
        : differingParams(runs);
      const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
      if (flag(values, 'json')) {
        printJson(io, {
          runs: runs.map((r) => ({ id: r.id, name: r.name, experiment: r.experimentName, status: r.status })),
          params: Object.fromEntries(params),
          metrics: Object.fromEntries(metricKeys.map((k) => [k, runs.map((r) => r.metrics[k] ?? null)])),
        });
        return EXIT.ok;
      }
      const head = ['', ...runs.map((r) => r.id.slice(0, 8))];
      io.stdout.write(table([head, ['experiment', ...runs.map((r) => r.experimentName)], ['status', ...runs.map((r) => r.status)]]));
      io.stdout.write(`\nparams${flag(values, 'all') ? '' : ' that differ'}:\n`);
      io.stdout.write(params.length ? table([['PARAM', ...head.slice(1)], ...params.map(([k, vals]) => [k, ...vals])]) : '  none: the runs have the same params\n');
      io.stdout.write('\nmetrics (latest / min / max):\n');
      const cell = (m: LatestMetric | undefined) => (m ? `${fmt(m)} / ${m.min === null ? '-' : fmt({ ...m, value: m.min })} / ${m.max === null ? '-' : fmt({ ...m, value: m.max })}` : '-');
      io.stdout.write(table([['METRIC', ...head.slice(1)], ...metricKeys.map((k) => [k, ...runs.map((r) => cell(r.metrics[k]))])]));
      return EXIT.ok;
    });
  },
};

export const runsCommand: Command = {
  ...listCommand,
  name: 'runs',
  usage: 'vgglab runs [list|show <id>|diff <id> <id>...|delete <id>...|gc] [options]',
  summary: 'List, inspect, compare and delete runs in the run store.',
  subcommands: [listCommand, showCommand, diffCommand, deleteCommand, gcCommand],
};
