/**
 * Read-only queries over the store's tables that its API does not offer (or not fast enough) yet, on the
 * dashboard's own connection: values for the run table's filter menus (statuses, experiments, models,
 * optimizers, tag keys, with counts) and version stamps of a run's series (for the series cache). The store's
 * schema version is checked so another layout fails loudly.
 * TODO(store): replace with store queries (`listParamValues(key)`, `listTagKeys()`, series versions) once they exist.
 */
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '@vgglab/store';

export interface FacetValue {
  value: string;
  count: number;
}

export interface Facets {
  statuses: FacetValue[];
  experiments: FacetValue[];
  models: FacetValue[];
  optimizers: FacetValue[];
  tagKeys: FacetValue[];
}

const MAX_VALUES = 200;

export interface SeriesInfo {
  count: number;
  /** Changes whenever the series changes: count, last step, last write time. */
  version: string;
}

export class ExtraQueries {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(dbFile: string) {
    this.db = new Database(dbFile, { readonly: true, fileMustExist: true });
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version !== SCHEMA_VERSION) {
      this.db.close();
      throw new Error(`facets: run store schema ${version}, the dashboard reads schema ${SCHEMA_VERSION}`);
    }
    this.statements = {
      statuses: this.db.prepare('SELECT status AS value, COUNT(*) AS count FROM runs GROUP BY status ORDER BY count DESC'),
      experiments: this.db.prepare(
        `SELECT e.name AS value, COUNT(r.pk) AS count FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id
         GROUP BY e.id ORDER BY e.created_at DESC LIMIT ${MAX_VALUES}`,
      ),
      paramValues: this.db.prepare(
        `SELECT value, COUNT(*) AS count FROM params WHERE key = ? GROUP BY value ORDER BY count DESC, value LIMIT ${MAX_VALUES}`,
      ),
      seriesInfo: this.db.prepare(
        `SELECT s.key, s.count, s.step, s.timestamp FROM series s JOIN runs r ON r.pk = s.run_pk WHERE r.id = ?`,
      ),
      tagKeys: this.db.prepare(
        `SELECT key AS value, COUNT(*) AS count FROM tags GROUP BY key ORDER BY count DESC, key LIMIT ${MAX_VALUES}`,
      ),
    };
  }

  read(): Facets {
    return {
      statuses: this.statements.statuses.all() as FacetValue[],
      experiments: this.statements.experiments.all() as FacetValue[],
      models: this.statements.paramValues.all('model.name') as FacetValue[],
      optimizers: this.statements.paramValues.all('optimizer.name') as FacetValue[],
      tagKeys: this.statements.tagKeys.all() as FacetValue[],
    };
  }

  /**
   * A version stamp per metric key of a run (point count, last step, last write time): it changes whenever the
   * run's series changes (new points, or points replaced after a resume), so cached series can be reused.
   */
  seriesInfo(runId: string): Map<string, SeriesInfo> {
    const rows = this.statements.seriesInfo.all(runId) as { key: string; count: number; step: number; timestamp: number }[];
    return new Map(rows.map((r) => [r.key, { count: r.count, version: `${r.count}:${r.step}:${r.timestamp}` }]));
  }

  close(): void {
    this.db.close();
  }
}
