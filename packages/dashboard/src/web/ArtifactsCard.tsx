/** A run's checkpoints and other artifacts, each with its metadata as a readable table and its files to download. */
import { api, type RunDetailsJson } from './api.ts';
import { metadataRows } from './metadata-rows.ts';

export function ArtifactsCard({ run }: { run: RunDetailsJson }) {
  const checkpoints = run.artifacts.filter((a) => a.kind.startsWith('checkpoint'));
  const others = run.artifacts.filter((a) => !a.kind.startsWith('checkpoint'));
  return (
    <section className="card" data-testid="checkpoints">
      <header className="card-title">Checkpoints</header>
      {checkpoints.length === 0 ? <div className="muted">none yet</div> : null}
      <ul className="artifacts">
        {[...checkpoints, ...others].map((a) => {
          const rows = metadataRows(a.metadata);
          return (
            <li key={a.id} data-kind={a.kind}>
              <div>
                <strong>{a.kind}</strong>
                {a.epoch !== null ? <span className="muted"> · epoch {a.epoch}</span> : null}
                {a.step !== null ? <span className="muted"> · step {a.step}</span> : null}
              </div>
              <div className="mono small muted">{a.path}</div>
              {rows.length ? (
                <table className="plain metadata small" data-testid="checkpoint-metadata">
                  <tbody>
                    {rows.map((row) => (
                      <tr key={row.key}>
                        <td className="mono">{row.key}</td>
                        <td className="mono" title={row.title}>
                          {row.value}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
              <div className="files">
                {a.files.map((f) => (
                  <a key={f} className="small" href={api.fileUrl(run.id, f)} download>
                    {f.split('/').pop()}
                  </a>
                ))}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
