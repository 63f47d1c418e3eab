/**
 * One open SQLite connection of a run store, and what every concern (runs, writes, artifacts, queries) needs from
 * it: cached statements, the packed series, the two kinds of transaction, and looking a run up by id.
 */
import type Database from 'better-sqlite3';
import { StoreError } from '../errors.ts';
import { invalid, show } from '../validate.ts';
import { PreparedStatements } from './prepared.ts';
import { RUN_COLUMNS, type RunRow } from './rows.ts';
import { readSchemaVersion } from './schema.ts';
import { SeriesBlocks } from './series-blocks.ts';

export class Connection {
  readonly schemaVersion: number;
  /** The packed copy of every series, kept in step with the metric rows by every write that changes them. */
  readonly blocks: SeriesBlocks;
  private readonly statements: PreparedStatements;

  constructor(
    readonly db: Database.Database,
    /** Absolute path of the file. */
    readonly file: string,
    readonly readonly: boolean,
  ) {
    this.schemaVersion = readSchemaVersion(db);
    this.statements = new PreparedStatements(db);
    this.blocks = new SeriesBlocks(db);
  }

  sql(text: string): Database.Statement {
    return this.statements.get(text);
  }

  /** Every write runs in BEGIN IMMEDIATE: taking the write lock up front means the busy timeout applies, instead
   * of a deferred transaction failing with SQLITE_BUSY when it upgrades from reading to writing. */
  write<T>(fn: () => T): T {
    if (this.readonly) throw new StoreError('READONLY', `run store ${this.file} was opened read-only`);
    return this.db.transaction(fn).immediate();
  }

  /** Reads that must see one snapshot. */
  read<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  runPk(runId: string): number {
    if (typeof runId !== 'string') throw invalid(`run id must be a string, received ${show(runId)}`);
    const row = this.sql('SELECT pk FROM runs WHERE id = ?').get(runId) as { pk: number } | undefined;
    if (!row) throw new StoreError('NOT_FOUND', `no run with id ${show(runId)} in ${this.file}`);
    return row.pk;
  }

  runRow(runId: string): RunRow | undefined {
    return this.sql(`SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?`).get(
      runId,
    ) as RunRow | undefined;
  }

  /** Stops the background checkpoints of this connection (open/open.ts), if any, when it closes. */
  onClose: (() => void) | undefined;

  close(): void {
    this.statements.clear();
    this.onClose?.();
    if (this.db.open) this.db.close();
  }
}
