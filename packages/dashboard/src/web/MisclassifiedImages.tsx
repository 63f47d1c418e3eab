/** The validation images of one confusion-matrix cell (true class i predicted as j), as the evaluation recorded them. */
import { useEffect, useState } from 'react';
import { compareApi, type MisclassifiedJson } from './api-compare.ts';

export interface Cell {
  true: number;
  predicted: number;
}

export function MisclassifiedImages({ runId, evaluationId, cell }: { runId: string; evaluationId: number; cell: Cell }) {
  const [data, setData] = useState<MisclassifiedJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setData(null);
    compareApi.misclassified(runId, evaluationId, cell).then(
      (body) => live && (setData(body), setError(null)),
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [runId, evaluationId, cell.true, cell.predicted]);
  if (error) return <div className="error">Could not load the images: {error}</div>;
  if (!data) return <div className="muted pad">loading images…</div>;
  return (
    <div className="misclassified pad-top" data-testid="misclassified" data-count={data.items.length}>
      <header className="card-title">
        {data.trueClass} predicted as {data.predictedClass}
        <span className="muted small">
          {data.count} image{data.count === 1 ? '' : 's'} in this cell{data.items.length < data.count && data.items.length > 0 ? `, ${data.items.length} recorded` : ''}
        </span>
      </header>
      {data.note ? <div className="muted">{data.note}</div> : null}
      <div className="thumbs">
        {data.items.map((item) => (
          <figure key={item.path} title={item.path}>
            {item.url ? <img src={item.url} alt={item.path} loading="lazy" /> : null}
            <figcaption>{item.path.split('/').pop()}</figcaption>
          </figure>
        ))}
      </div>
    </div>
  );
}
