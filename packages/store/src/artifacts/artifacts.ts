/** Artifacts: files a run wrote (checkpoints, predictions), unique on (run, kind, path). */
import type { Connection } from '../storage/connection.ts';
import { type ArtifactRow, toArtifact } from '../storage/rows.ts';
import { checkFence, fencedRunPk } from '../runs/fence.ts';
import type { Artifact, LogArtifactOptions, NewArtifact } from '../types.ts';
import { checkKey, checkOptionalFinite, checkSafeInteger, invalid, show } from '../validate.ts';

const ARTIFACT_SELECT = `SELECT a.id, r.id AS run_id, a.kind, a.path, a.step, a.epoch, a.metadata, a.sha256, a.bytes, a.created_at,
  a.updated_at FROM artifacts a JOIN runs r ON r.pk = a.run_pk`;

function checkArtifact(artifact: NewArtifact): void {
  if (artifact === null || typeof artifact !== 'object') throw invalid(`logArtifact expects { kind, path }, received ${show(artifact)}`);
  checkKey(artifact.kind, 'artifact kind');
  if (typeof artifact.path !== 'string' || artifact.path.length === 0) throw invalid(`artifact path must be a non-empty string, received ${show(artifact.path)}`);
  if (artifact.step !== undefined && artifact.step !== null) checkSafeInteger(artifact.step, 'artifact step');
  checkOptionalFinite(artifact.epoch, 'artifact epoch');
  if (artifact.sha256 !== undefined && artifact.sha256 !== null && !/^[0-9a-f]{64}$/.test(artifact.sha256)) {
    throw invalid(`artifact sha256 must be 64 lowercase hex digits, received ${show(artifact.sha256)}`);
  }
  if (artifact.bytes !== undefined && artifact.bytes !== null) checkSafeInteger(artifact.bytes, 'artifact bytes');
}

/** Insert, or update step, epoch, metadata and checksum of the same (run, kind, path); with `replaceKind`, the run's
 * other artifacts of that kind are deleted in the same transaction. */
export function logArtifact(c: Connection, runId: string, artifact: NewArtifact, options: LogArtifactOptions = {}): Artifact {
  checkArtifact(artifact);
  checkFence(options, 'logArtifact');
  const metadata = artifact.metadata === undefined ? null : JSON.stringify(artifact.metadata);
  const now = Date.now();
  return c.write(() => {
    const pk = fencedRunPk(c, runId, options);
    if (options.replaceKind) c.sql('DELETE FROM artifacts WHERE run_pk = ? AND kind = ? AND path != ?').run(pk, artifact.kind, artifact.path);
    const { id } = c
      .sql(
        `INSERT INTO artifacts(run_pk, kind, path, step, epoch, metadata, sha256, bytes, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(run_pk, kind, path) DO UPDATE SET step = excluded.step, epoch = excluded.epoch,
           metadata = excluded.metadata, sha256 = excluded.sha256, bytes = excluded.bytes, updated_at = excluded.updated_at
         RETURNING id`,
      )
      .get(pk, artifact.kind, artifact.path, artifact.step ?? null, artifact.epoch ?? null, metadata, artifact.sha256 ?? null, artifact.bytes ?? null, now, now) as {
      id: number;
    };
    return toArtifact(c.sql(`${ARTIFACT_SELECT} WHERE a.id = ?`).get(id) as ArtifactRow);
  });
}

export function listArtifacts(c: Connection, runId: string, kind?: string): Artifact[] {
  const pk = c.runPk(runId);
  const rows = (
    kind === undefined
      ? c.sql(`${ARTIFACT_SELECT} WHERE a.run_pk = ? ORDER BY a.kind, a.path`).all(pk)
      : c.sql(`${ARTIFACT_SELECT} WHERE a.run_pk = ? AND a.kind = ? ORDER BY a.path`).all(pk, kind)
  ) as ArtifactRow[];
  return rows.map(toArtifact);
}
