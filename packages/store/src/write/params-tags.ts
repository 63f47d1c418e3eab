/** Params (write-once) and tags (upserted) of a run, inside the caller's write transaction. */
import { StoreError } from '../errors.ts';
import type { Connection } from '../storage/connection.ts';
import { SEARCH_TEXT_EXPR } from '../storage/schema.ts';
import type { KeyValue } from '../types.ts';
import { numericValue, show } from '../validate.ts';

/** Params are write-once: the same value again is a no-op (a resumed run re-logs them), another is an error. */
export function insertParams(c: Connection, pk: number, params: readonly KeyValue[]): void {
  const insert = c.sql('INSERT INTO params(run_pk, key, value, num_value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
  for (const p of params) {
    if (insert.run(pk, p.key, p.value, numericValue(p.value)).changes > 0) continue;
    const existing = c.sql('SELECT value FROM params WHERE run_pk = ? AND key = ?').get(pk, p.key) as { value: string };
    if (existing.value !== p.value) {
      throw new StoreError(
        'CONFLICT',
        `param ${show(p.key)} was already logged with value ${show(existing.value)}; received ${show(p.value)} (params cannot change; use a tag or a metric)`,
      );
    }
  }
}

export function upsertTags(c: Connection, pk: number, tags: readonly KeyValue[]): void {
  const upsert = c.sql('INSERT INTO tags(run_pk, key, value) VALUES (?, ?, ?) ON CONFLICT(run_pk, key) DO UPDATE SET value = excluded.value');
  for (const t of tags) upsert.run(pk, t.key, t.value);
  if (tags.length) refreshSearchText(c, pk);
}

/** The free-text filter's column, after the run's name, params or tags changed. */
export function refreshSearchText(c: Connection, pk: number): void {
  c.sql(`UPDATE runs SET search_text = ${SEARCH_TEXT_EXPR} WHERE pk = ?`).run(pk);
}
