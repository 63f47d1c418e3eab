import {
  MAX_KEY_LENGTH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_PARAMS_PER_BATCH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS_PER_BATCH,
} from './defaults.ts';
import { StoreError } from './errors.ts';
import type { KeyValue, LogBatchInput, MetricInput, RunStatus, StoredRunStatus } from './types.ts';

/** What a writer records (setRunStatus): every status (`crashed` too, the tracking server records it). */
export const STORED_RUN_STATUSES: readonly StoredRunStatus[] = ['running', 'finished', 'failed', 'killed', 'crashed'];
/** Every status a run can show: what the run list filters on. */
export const RUN_STATUSES: readonly RunStatus[] = STORED_RUN_STATUSES;

/** Short, printable form of a received value for error messages. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function invalid(message: string): StoreError {
  return new StoreError('INVALID', message);
}

export function checkKey(key: unknown, where: string): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw invalid(`${where} must be a string of 1..${MAX_KEY_LENGTH} characters, received ${show(key)}`);
  }
}

export function checkSafeInteger(value: unknown, where: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw invalid(`${where} must be a safe integer, received ${show(value)}`);
  }
}

export function checkOptionalFinite(value: unknown, where: string): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(`${where} must be a finite number or null, received ${show(value)}`);
  }
}

export function checkStatus(status: unknown, where = 'status'): asserts status is RunStatus {
  if (!RUN_STATUSES.includes(status as RunStatus)) {
    throw invalid(`${where} must be one of ${RUN_STATUSES.join(', ')}, received ${show(status)}`);
  }
}

export function checkStoredStatus(status: unknown, where = 'status'): asserts status is StoredRunStatus {
  if (!STORED_RUN_STATUSES.includes(status as StoredRunStatus)) {
    throw invalid(`${where} must be one of ${STORED_RUN_STATUSES.join(', ')}, received ${show(status)}`);
  }
}

function splitHint(what: string, count: number, limit: number): string {
  const batches = Math.ceil(count / limit);
  return (
    `logBatch received ${count} ${what}; the limit is ${limit} per batch. Split them into ${batches} batches of at ` +
    `most ${limit} (createMetricQueue splits for you)`
  );
}

/** Checks a whole batch before anything is written: counts first, then every entry. */
export function checkBatch(batch: LogBatchInput): void {
  if (batch === null || typeof batch !== 'object') throw invalid(`logBatch expects { metrics, params, tags }, received ${show(batch)}`);
  const metrics = batch.metrics ?? [];
  const params = batch.params ?? [];
  const tags = batch.tags ?? [];
  for (const [name, list] of [['metrics', metrics], ['params', params], ['tags', tags]] as const) {
    if (!Array.isArray(list)) throw invalid(`logBatch ${name} must be an array, received ${show(list)}`);
  }
  if (metrics.length > MAX_METRICS_PER_BATCH) throw new StoreError('BATCH_LIMIT', splitHint('metrics', metrics.length, MAX_METRICS_PER_BATCH));
  if (params.length > MAX_PARAMS_PER_BATCH) throw new StoreError('BATCH_LIMIT', splitHint('params', params.length, MAX_PARAMS_PER_BATCH));
  if (tags.length > MAX_TAGS_PER_BATCH) throw new StoreError('BATCH_LIMIT', splitHint('tags', tags.length, MAX_TAGS_PER_BATCH));
  metrics.forEach((m, i) => checkMetric(m, `metrics[${i}]`));
  params.forEach((p, i) => checkKeyValue(p, `params[${i}]`, MAX_PARAM_VALUE_LENGTH));
  tags.forEach((t, i) => checkKeyValue(t, `tags[${i}]`, MAX_TAG_VALUE_LENGTH));
  const seen = new Map<string, string>();
  for (const p of params) {
    const before = seen.get(p.key);
    if (before !== undefined && before !== p.value) {
      throw new StoreError('CONFLICT', `param ${show(p.key)} appears twice in one batch with different values (${show(before)}, ${show(p.value)})`);
    }
    seen.set(p.key, p.value);
  }
}

export function checkMetric(m: MetricInput, where: string): void {
  if (m === null || typeof m !== 'object') throw invalid(`${where} must be { key, value, step }, received ${show(m)}`);
  checkKey(m.key, `${where}.key`);
  if (typeof m.value !== 'number') throw invalid(`${where}.value (${m.key}) must be a number, received ${show(m.value)}`);
  checkSafeInteger(m.step, `${where}.step (${m.key})`);
  checkOptionalFinite(m.epoch, `${where}.epoch (${m.key})`);
  if (m.timestamp !== undefined) checkSafeInteger(m.timestamp, `${where}.timestamp (${m.key})`);
}

export function checkKeyValue(kv: KeyValue, where: string, maxValueLength: number): void {
  if (kv === null || typeof kv !== 'object') throw invalid(`${where} must be { key, value }, received ${show(kv)}`);
  checkKey(kv.key, `${where}.key`);
  if (typeof kv.value !== 'string') throw invalid(`${where}.value (${kv.key}) must be a string, received ${show(kv.value)}`);
  if (kv.value.length > maxValueLength) {
    throw invalid(`${where}.value (${kv.key}) is ${kv.value.length} characters; the limit is ${maxValueLength}`);
  }
}

/** The number a param's text stands for, if it is a plain finite number (used to sort params numerically). */
export function numericValue(text: string): number | null {
  if (text.trim() === '' || text !== text.trim()) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}
