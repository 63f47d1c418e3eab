/** A run's life: created running, heartbeats, a final status, resumed after an interruption, deleted. */
import { canonicalJson } from '@vgglab/core/canonical-json';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { StoreError } from '../errors.ts';
import type { Connection } from '../storage/connection.ts';
import { toRun } from '../storage/rows.ts';
import { listArtifacts } from '../artifacts/artifacts.ts';
import type { KeyValue, NewRun, ResumedRun, ResumeOptions, Run, SetStatusOptions, StoredRunStatus, WriteFence } from '../types.ts';
import { checkKey, checkSafeInteger, checkStoredStatus, invalid, show } from '../validate.ts';
import { deleteMetricsAfterStep } from '../write/metrics.ts';
import { insertParams, refreshSearchText, upsertTags } from '../write/params-tags.ts';
import { experimentId } from './experiments.ts';
import { flattenParams } from './flatten.ts';
import { checkFence, fencedRunPk } from './fence.ts';
import { processStartOf, SHOWN_STATUS_SQL } from './liveness.ts';

const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A command line's words: how many, how long each. */
const COMMAND_LIMITS = { items: 200, length: 4000 };

/** The start of `pid` as recorded beside it: given, or read here when the process runs on this machine. */
function recordedStart(given: string | null | undefined, host: string, pid: number | null): string | null {
  if (given !== undefined) return given;
  return pid !== null && host === hostname() ? processStartOf(pid) : null;
}

/** The run as a writer just recorded it: `running`, no end time. (A read shows `crashed` once its process is gone;
 * a writer answers with what it wrote, as a writer over HTTP would.) */
function written(c: Connection, runId: string): Run {
  return { ...toRun(c.runRow(runId)!), status: 'running', endTime: null };
}

interface CheckedRun {
  id: string;
  name: string;
  startTime: number;
  host: string;
  pid: number | null;
  params: KeyValue[];
  tags: KeyValue[];
  command: string | null;
  overrides: string;
}

/** A list of strings as stored (JSON), checked: what started the run. */
function checkWords(value: unknown, where: string, limits: { items: number; length: number }): string[] {
  if (!Array.isArray(value) || value.length > limits.items || value.some((w) => typeof w !== 'string' || w.length > limits.length)) {
    throw invalid(`${where} must be an array of at most ${limits.items} strings of at most ${limits.length} characters, received ${show(value)}`);
  }
  return value as string[];
}

function checkNewRun(input: NewRun): CheckedRun {
  if (input === null || typeof input !== 'object') throw invalid(`createRun expects a NewRun object, received ${show(input)}`);
  if (input.resolvedSpec === undefined) throw invalid('createRun: resolvedSpec is required (the spec after defaults and overrides)');
  if (typeof input.specHash !== 'string' || input.specHash.length === 0) {
    throw invalid(
      `createRun: specHash is required, a non-empty string (core's specHash(spec), which the runner passes), received ${show(input.specHash)}`,
    );
  }
  const id = input.id ?? randomUUID().replaceAll('-', '');
  if (!RUN_ID_PATTERN.test(id)) throw invalid(`createRun: id must match ${RUN_ID_PATTERN}, received ${show(id)}`);
  const name = input.name ?? id.slice(0, 8);
  if (typeof name !== 'string' || name.length === 0) throw invalid(`createRun: name must be a non-empty string, received ${show(name)}`);
  const startTime = input.startTime ?? Date.now();
  checkSafeInteger(startTime, 'createRun: startTime');
  if (input.seed !== undefined && input.seed !== null) checkSafeInteger(input.seed, 'createRun: seed');
  if (input.pid !== undefined && input.pid !== null) checkSafeInteger(input.pid, 'createRun: pid');
  const params = flattenParams(input.resolvedSpec);
  params.forEach((p) => checkKey(p.key, `createRun: param from resolvedSpec`));
  const tags = Object.entries(input.tags ?? {}).map(([key, value]) => ({ key, value }));
  tags.forEach((t, i) => {
    checkKey(t.key, `createRun: tags[${i}]`);
    if (typeof t.value !== 'string') throw invalid(`createRun: tag ${show(t.key)} must be a string, received ${show(t.value)}`);
  });
  const pid = input.pid === undefined ? process.pid : input.pid;
  const command = input.command == null ? null : JSON.stringify(checkWords(input.command, 'createRun: command', COMMAND_LIMITS));
  const overrides = JSON.stringify(checkWords(input.overrides ?? [], 'createRun: overrides', COMMAND_LIMITS));
  return { id, name, startTime, host: input.host ?? hostname(), pid, params, tags, command, overrides };
}

export function createRun(c: Connection, input: NewRun): Run {
  const run = checkNewRun(input);
  const resolvedJson = canonicalJson(input.resolvedSpec);
  const processStart = recordedStart(input.processStart, run.host, run.pid);
  return c.write(() => {
    const experiment = experimentId(c, input.experiment, true)!;
    if (c.sql('SELECT 1 FROM runs WHERE id = ?').get(run.id)) throw new StoreError('CONFLICT', `a run with id ${show(run.id)} already exists`);
    const info = c
      .sql(
        `INSERT INTO runs(id, experiment_id, name, status, start_time, end_time, heartbeat_at, spec_text, resolved_spec,
           spec_hash, seed, git_commit, package_versions, backend, host, pid, process_start, sweep_values, command, overrides)
         VALUES (?, ?, ?, 'running', ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        run.id,
        experiment,
        run.name,
        run.startTime,
        run.startTime,
        input.specText ?? null,
        resolvedJson,
        input.specHash,
        input.seed ?? null,
        input.gitCommit ?? null,
        JSON.stringify(input.packageVersions ?? {}),
        input.backend ?? null,
        run.host,
        run.pid,
        processStart,
        input.sweepValues == null ? null : canonicalJson(input.sweepValues),
        run.command,
        run.overrides,
      );
    const pk = Number(info.lastInsertRowid);
    insertParams(c, pk, run.params);
    upsertTags(c, pk, run.tags);
    if (run.tags.length === 0) refreshSearchText(c, pk);
    return written(c, run.id);
  });
}

export function setRunStatus(c: Connection, runId: string, status: StoredRunStatus, options: SetStatusOptions = {}): void {
  checkStoredStatus(status);
  if (options.endTime !== undefined) checkSafeInteger(options.endTime, 'setRunStatus: endTime');
  checkFence(options, 'setRunStatus');
  const now = Date.now();
  c.write(() => {
    const pk = fencedRunPk(c, runId, options);
    const endTime = status === 'running' ? null : (options.endTime ?? now);
    c.sql('UPDATE runs SET status = ?, end_time = ?, heartbeat_at = ? WHERE pk = ?').run(status, endTime, now, pk);
  });
}

/** A pid given is recorded with its start (when the run is on this machine). */
export function heartbeat(c: Connection, runId: string, pid?: number, fence?: WriteFence): void {
  if (pid !== undefined) checkSafeInteger(pid, 'heartbeat: pid');
  checkFence(fence, 'heartbeat');
  c.write(() => {
    const pk = fencedRunPk(c, runId, fence);
    if (pid === undefined) {
      c.sql('UPDATE runs SET heartbeat_at = ? WHERE pk = ?').run(Date.now(), pk);
      return;
    }
    const { host } = c.sql('SELECT host FROM runs WHERE pk = ?').get(pk) as { host: string };
    c.sql('UPDATE runs SET heartbeat_at = ?, pid = ?, process_start = ? WHERE pk = ?').run(Date.now(), pid, recordedStart(undefined, host, pid), pk);
  });
}

function checkResumeOptions(options: ResumeOptions): void {
  if (options === null || typeof options !== 'object') throw invalid('resumeRun: options { fromStep } or { fromArtifact } are required');
  if ((options.fromStep === undefined) === (options.fromArtifact === undefined)) {
    throw invalid(`resumeRun: give one of fromStep and fromArtifact, received ${show({ fromStep: options.fromStep, fromArtifact: options.fromArtifact })}`);
  }
  if (options.fromStep !== undefined) checkSafeInteger(options.fromStep, 'resumeRun: fromStep');
  if (options.fromArtifact !== undefined) checkKey(options.fromArtifact, 'resumeRun: fromArtifact');
}

/** A new attempt of the run: status running, new pid/host, endTime cleared, attempt + 1, metrics after the step
 * resumed from deleted, in one transaction. */
export function resumeRun(c: Connection, runId: string, options: ResumeOptions): ResumedRun {
  checkResumeOptions(options);
  const pid = options.pid ?? process.pid;
  checkSafeInteger(pid, 'resumeRun: pid');
  const host = options.host ?? hostname();
  const processStart = recordedStart(options.processStart, host, pid);
  return c.write(() => {
    const pk = c.runPk(runId);
    const resumedFrom = options.fromArtifact === undefined ? null : (listArtifacts(c, runId, options.fromArtifact)[0] ?? null);
    const fromStep = options.fromStep ?? resumedFrom?.step ?? -1;
    deleteMetricsAfterStep(c, pk, fromStep);
    c.sql(
      "UPDATE runs SET status = 'running', end_time = NULL, pid = ?, host = ?, process_start = ?, heartbeat_at = ?, attempt = attempt + 1 WHERE pk = ?",
    ).run(pid, host, processStart, Date.now(), pk);
    return { ...written(c, runId), fromStep, resumedFrom };
  });
}

export function deleteMetricsAfter(c: Connection, runId: string, step: number, fence?: WriteFence): number {
  checkSafeInteger(step, 'deleteMetricsAfter: step');
  checkFence(fence, 'deleteMetricsAfter');
  return c.write(() => deleteMetricsAfterStep(c, fencedRunPk(c, runId, fence), step));
}

/** Refused while the run shows as running (the rule `vgglab runs delete` and the dashboard share). */
export function deleteRun(c: Connection, runId: string): void {
  c.write(() => {
    const pk = c.runPk(runId);
    const shown = c.sql(`SELECT ${SHOWN_STATUS_SQL} AS status, r.pid, r.host FROM runs r WHERE r.pk = ?`).get(pk) as { status: string; pid: number | null; host: string };
    if (shown.status === 'running') {
      throw new StoreError(
        'CONFLICT',
        `run ${show(runId)} is running (pid ${shown.pid ?? '?'} on ${shown.host}); stop it first, or \`vgglab runs gc\` if its process is gone`,
      );
    }
    c.blocks.deleteRun(pk);
    c.sql('DELETE FROM metrics WHERE series_id IN (SELECT id FROM series WHERE run_pk = ?)').run(pk);
    c.sql('DELETE FROM runs WHERE pk = ?').run(pk);
  });
}
