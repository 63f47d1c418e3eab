/**
 * What `predict`, `evaluate` and `runs` read from a tracking server instead of a local store: a run's checkpoint
 * (downloaded into this machine's runs folder, best else last), the run list and a run's metric history (the
 * dashboard's read API, with the token).
 */
import { StoreError, type RunPage, type TrackingClient } from '@vgglab/store';
import { ARTIFACT_BEST, ARTIFACT_LAST, BEST_CHECKPOINT, LAST_CHECKPOINT } from '../defaults.ts';
import { CliError } from '../errors.ts';
import { checkpointDir } from '../paths.ts';

/** Downloads the run's best checkpoint (else its last) into `<runsDir>/<run>/checkpoints/`; returns the folder. */
export async function fetchRunCheckpoint(client: TrackingClient, runId: string, runsDir: string): Promise<string> {
  for (const [kind, which] of [
    [ARTIFACT_BEST, BEST_CHECKPOINT],
    [ARTIFACT_LAST, LAST_CHECKPOINT],
  ] as const) {
    const dir = checkpointDir(runsDir, runId, which);
    try {
      await client.downloadFolder(runId, kind, dir);
      return dir;
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'NOT_FOUND')) throw error;
    }
  }
  throw new CliError(`run ${runId} has no checkpoint on ${client.url} yet (it has not finished an epoch)`);
}

/** The server's run list (`GET /api/runs`), newest first. */
export function remoteRunList(client: TrackingClient, query: { limit: number; status?: string[]; experiment?: string }): Promise<RunPage> {
  const params = new URLSearchParams({ limit: String(query.limit) });
  for (const s of query.status ?? []) params.append('status', s);
  if (query.experiment) params.set('experiment', query.experiment);
  return client.getJson<RunPage>(`/api/runs?${params}`);
}

interface SeriesJson {
  series: { key: string; step: number[]; epoch: (number | null)[]; timestamp: number[]; value: (number | null)[]; nonFinite?: Record<string, string> }[];
}

function nonFinite(name: string | undefined): number {
  return name === 'Infinity' ? Infinity : name === '-Infinity' ? -Infinity : Number.NaN;
}

/** Every point of the run's keys (`GET /api/metrics`, not downsampled up to 20,000 points a key). */
export async function remoteMetricHistory(
  client: TrackingClient,
  runId: string,
  keys: string[],
): Promise<Record<string, { step: number; epoch: number | null; value: number; timestamp: number }[]>> {
  if (keys.length === 0) return {};
  const params = new URLSearchParams({ runs: runId, keys: keys.join(','), maxPoints: '20000' });
  const body = await client.getJson<SeriesJson>(`/api/metrics?${params}`);
  return Object.fromEntries(
    body.series.map((s) => [
      s.key,
      s.step.map((step, i) => ({ step, epoch: s.epoch[i] ?? null, value: s.value[i] ?? nonFinite(s.nonFinite?.[i]), timestamp: s.timestamp[i]! })),
    ]),
  );
}
