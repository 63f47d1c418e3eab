/**
 * Values for the run table's filter menus (models, optimizers, tag keys, experiments, statuses with counts).
 * The store has no query for distinct param values yet, so this reads its tables directly, read-only, on its
 * own connection. It only reads; the store's schema version is checked so a newer layout fails loudly.
 * TODO(store): replace with a store query (`listParamValues(key)`, `listTagKeys()`) once it exists.
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

export class FacetReader {
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

  close(): void {
    this.db.close();
  }
}
