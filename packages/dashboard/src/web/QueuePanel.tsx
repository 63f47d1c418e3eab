/**
 * The queue per sweep (`vgglab server --redis`): how many points wait, run (on which worker, at which step) or
 * failed (with the error), one card above the runs table. It polls `/api/queue` every few seconds while the server
 * has a queue, and renders nothing when it has none. A point's run opens the run's page.
 */
import { useEffect, useState } from 'react';
import type { QueueJobJson, QueueOverviewJson, QueueSweepJson } from '../wire/api-json.ts';
import './QueuePanel.css';

/** How often the panel asks again. */
const POLL_MS = 3000;
/** Jobs listed per sweep (the counts cover all). */
const JOBS_SHOWN = 50;
const ORDER: Record<QueueJobJson['state'], number> = { running: 0, failed: 1, waiting: 2, finished: 3 };

async function fetchQueue(signal: AbortSignal): Promise<QueueOverviewJson> {
  const response = await fetch('api/queue', { signal });
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return (await response.json()) as QueueOverviewJson;
}

function JobRow({ job, onOpenRun }: { job: QueueJobJson; onOpenRun(runId: string): void }) {
  const where = job.state === 'running' ? [job.worker, job.step === null ? null : `step ${job.step}`].filter(Boolean).join(' · ') : '';
  return (
    <tr data-state={job.state} data-testid="queue-job">
      <td className="queue-label">{job.label}</td>
      <td>
        <span className={`queue-state queue-${job.state}`}>{job.state}</span>
      </td>
      <td className="muted small">{where}</td>
      <td className="muted small" title="tries used / allowed">
        {job.attemptsMade}/{job.attempts}
      </td>
      <td className="queue-error small" title={job.error ?? undefined}>
        {job.error ?? ''}
      </td>
      <td>
        {job.runId ? (
          <button className="link small" onClick={() => onOpenRun(job.runId!)}>
            run {job.runId.slice(0, 8)}
          </button>
        ) : null}
      </td>
    </tr>
  );
}

function SweepRow({ sweep, onOpenRun }: { sweep: QueueSweepJson; onOpenRun(runId: string): void }) {
  const [showFinished, setShowFinished] = useState(false);
  const jobs = sweep.jobs
    .filter((j) => showFinished || j.state !== 'finished')
    .sort((a, b) => ORDER[a.state] - ORDER[b.state])
    .slice(0, JOBS_SHOWN);
  return (
    <div className="queue-sweep" data-testid="queue-sweep" data-experiment={sweep.experiment}>
      <div className="queue-sweep-head">
        <strong>{sweep.experiment}</strong>
        <span className="queue-count queue-waiting" data-testid="queue-waiting">{sweep.waiting} waiting</span>
        <span className="queue-count queue-running" data-testid="queue-running">{sweep.running} running</span>
        <span className="queue-count queue-failed" data-testid="queue-failed">{sweep.failed} failed</span>
        <button className="link small" onClick={() => setShowFinished(!showFinished)}>
          {sweep.finished} finished{showFinished ? ' (hide)' : ''}
        </button>
      </div>
      {jobs.length > 0 ? (
        <table className="queue-jobs">
          <tbody>
            {jobs.map((job) => (
              <JobRow key={job.id} job={job} onOpenRun={onOpenRun} />
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

export function QueuePanel({ onOpenRun }: { onOpenRun(runId: string): void }) {
  const [overview, setOverview] = useState<QueueOverviewJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () => {
      fetchQueue(controller.signal).then(
        (next) => {
          setOverview(next);
          setError(null);
          // A server without a queue will not grow one: stop asking.
          if (next.enabled) timer = setTimeout(poll, POLL_MS);
        },
        (e: Error) => {
          if (controller.signal.aborted) return;
          setError(e.message);
          timer = setTimeout(poll, POLL_MS);
        },
      );
    };
    poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, []);
  if (!overview?.enabled && !error) return null;
  return (
    <section className="card queue-panel" data-testid="queue-panel">
      <header className="card-title">
        Queue <span className="muted small">{overview?.queue ?? ''} · sweep points waiting, running and failed</span>
      </header>
      {error ? <div className="queue-error small">the queue cannot be read: {error}</div> : null}
      {overview && overview.sweeps.length === 0 ? <div className="muted small">no sweep in the queue</div> : null}
      {overview?.sweeps.map((sweep) => (
        <SweepRow key={sweep.experiment} sweep={sweep} onOpenRun={onOpenRun} />
      ))}
    </section>
  );
}
