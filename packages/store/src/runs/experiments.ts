/** Experiments: named groups of runs, get-or-created by name. */
import { StoreError } from '../errors.ts';
import type { Connection } from '../storage/connection.ts';
import type { Experiment } from '../types.ts';
import { checkKey } from '../validate.ts';

interface ExperimentRow {
  id: number;
  name: string;
  created_at: number;
}

const toExperiment = (r: ExperimentRow): Experiment => ({ id: r.id, name: r.name, createdAt: r.created_at });

export function createExperiment(c: Connection, name: string): Experiment {
  checkKey(name, 'experiment name');
  return c.write(() => {
    c.sql('INSERT INTO experiments(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING').run(name, Date.now());
    return getExperiment(c, name)!;
  });
}

export function getExperiment(c: Connection, idOrName: number | string): Experiment | undefined {
  const row = (
    typeof idOrName === 'number'
      ? c.sql('SELECT id, name, created_at FROM experiments WHERE id = ?').get(idOrName)
      : c.sql('SELECT id, name, created_at FROM experiments WHERE name = ?').get(idOrName)
  ) as ExperimentRow | undefined;
  return row && toExperiment(row);
}

export function listExperiments(c: Connection): Experiment[] {
  return (c.sql('SELECT id, name, created_at FROM experiments ORDER BY name').all() as ExperimentRow[]).map(toExperiment);
}

/** The id of an experiment given by id or name; a name is created when `create` (inside the caller's write). */
export function experimentId(c: Connection, experiment: number | string, create: boolean): number | undefined {
  if (typeof experiment === 'number') {
    if (!getExperiment(c, experiment)) throw new StoreError('NOT_FOUND', `no experiment with id ${experiment}`);
    return experiment;
  }
  if (create) return createExperiment(c, experiment).id;
  return getExperiment(c, experiment)?.id;
}
