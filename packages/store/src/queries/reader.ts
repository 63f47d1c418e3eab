/**
 * The read side over one SQLite connection. `openRunReader` returns it as it is (no write method exists on it);
 * `openStore` returns the subclass that adds the writer's and maintenance's methods (store.ts).
 */
import { listArtifacts } from '../artifacts/artifacts.ts';
import { listEvaluations } from '../artifacts/evaluations.ts';
import { getExperiment, listExperiments } from '../runs/experiments.ts';
import type { Connection } from '../storage/connection.ts';
import type { RunReader } from '../interfaces.ts';
import type {
  Artifact,
  Evaluation,
  Experiment,
  FacetValue,
  LatestMetric,
  MetricColumns,
  MetricExportQuery,
  MetricHistoryOptions,
  MetricPoint,
  MetricSeries,
  MetricSeriesQuery,
  MetricsAfterQuery,
  MetricsAfterResult,
  PackedMetricColumns,
  Run,
  RunDetails,
  RunFacets,
  RunListQuery,
  RunPage,
} from '../types.ts';
import { getRunFacets, keysOf, listParamValues, listTagKeys } from './facets.ts';
import { getMetricHistory } from './history.ts';
import { listRuns } from './run-list.ts';
import { findRunBySpecHash, getRun, latestMetrics, resolveRunId } from './runs.ts';
import { getMetricColumns, getMetricSeries, getMetricsAfter, getPackedMetricColumns, iterateMetrics } from './series.ts';

export class SqliteRunReader implements RunReader {
  constructor(protected readonly c: Connection) {}

  get file(): string {
    return this.c.file;
  }

  get readonly(): boolean {
    return this.c.readonly;
  }

  get schemaVersion(): number {
    return this.c.schemaVersion;
  }

  getExperiment(idOrName: number | string): Experiment | undefined {
    return getExperiment(this.c, idOrName);
  }

  listExperiments(): Experiment[] {
    return listExperiments(this.c);
  }

  resolveRunId(idOrPrefix: string): string {
    return resolveRunId(this.c, idOrPrefix);
  }

  getRun(runId: string): RunDetails | undefined {
    return getRun(this.c, runId);
  }

  findRunBySpecHash(experiment: number | string, specHash: string): Run | undefined {
    return findRunBySpecHash(this.c, experiment, specHash);
  }

  listArtifacts(runId: string, kind?: string): Artifact[] {
    return listArtifacts(this.c, runId, kind);
  }

  listEvaluations(runId: string): Evaluation[] {
    return listEvaluations(this.c, runId);
  }

  listRuns(query: RunListQuery = {}): RunPage {
    return this.c.read(() => listRuns(this.c.db, query, Date.now()));
  }

  getMetricHistory(runId: string, key: string, options: MetricHistoryOptions = {}): MetricPoint[] {
    return getMetricHistory(this.c, runId, key, options);
  }

  listMetricKeys(runIds?: readonly string[]): string[] {
    return keysOf(this.c, 'series', runIds);
  }

  listParamKeys(runIds?: readonly string[]): string[] {
    return keysOf(this.c, 'params', runIds);
  }

  listParamValues(key: string, options: { limit?: number } = {}): FacetValue[] {
    return listParamValues(this.c, key, options);
  }

  listTagKeys(options: { limit?: number } = {}): FacetValue[] {
    return listTagKeys(this.c, options);
  }

  getRunFacets(): RunFacets {
    return getRunFacets(this.c);
  }

  getLatestMetrics(runId: string): Record<string, LatestMetric> {
    return this.c.read(() => latestMetrics(this.c, this.c.runPk(runId)));
  }

  getMetricSeries(query: MetricSeriesQuery): MetricSeries[] {
    return this.c.read(() => getMetricSeries(this.c.db, this.c.blocks, this.runPk, query));
  }

  getMetricColumns(query: MetricSeriesQuery): MetricColumns[] {
    return this.c.read(() => getMetricColumns(this.c.db, this.c.blocks, this.runPk, query));
  }

  getPackedMetricColumns(query: MetricSeriesQuery): PackedMetricColumns[] {
    return this.c.read(() => getPackedMetricColumns(this.c.db, this.c.blocks, this.runPk, query));
  }

  getMetricsAfter(query: MetricsAfterQuery): MetricsAfterResult {
    return this.c.read(() => getMetricsAfter(this.c.db, query));
  }

  lastMetricId(): number {
    return (this.c.sql("SELECT value FROM counters WHERE name = 'metric_seq'").get() as { value: number }).value;
  }

  iterateMetrics(query: MetricExportQuery): IterableIterator<MetricPoint> {
    const pks = new Map(query.runIds.map((id) => [this.c.runPk(id), id] as const));
    return iterateMetrics(this.c.db, pks, query.keys);
  }

  close(): void {
    this.c.close();
  }

  private readonly runPk = (runId: string): number => this.c.runPk(runId);
}
