/**
 * The run view's confusion matrix: a heat map of true vs predicted class (click an off-diagonal cell to see its
 * misclassified validation images), and per-class accuracy.
 */
import { useState } from 'react';
import type { ConfusionJson } from './api.ts';
import { formatPercent } from './format.ts';
import { MisclassifiedImages, type Cell } from './MisclassifiedImages.tsx';

export function ConfusionCard({ confusion, runId }: { confusion: ConfusionJson | null | 'none'; runId: string }) {
  const [picked, setPicked] = useState<Cell | null>(null);
  if (confusion === null) return <section className="card muted">loading evaluation…</section>;
  if (confusion === 'none') {
    return (
      <section className="card" data-testid="confusion-none">
        <header className="card-title">Confusion matrix</header>
        <div className="muted">
          No evaluation stored for this run yet. Run <code>vgglab evaluate --run {runId.slice(0, 8)}</code> to add one.
        </div>
      </section>
    );
  }
  const n = confusion.classNames.length;
  const rowTotals = confusion.confusionMatrix.map((row) => row.reduce((a, b) => a + b, 0));
  const showNumbers = n <= 15;
  const cell = n <= 6 ? 52 : n <= 15 ? 36 : Math.max(8, Math.floor(540 / n));
  return (
    <section className="card" data-testid="confusion">
      <header className="card-title">
        Confusion matrix{' '}
        <span className="muted">
          · {confusion.dataset} · accuracy {formatPercent(confusion.accuracy)}
          {confusion.epoch !== null ? ` · epoch ${confusion.epoch}` : ''}
        </span>
      </header>
      <div className="confusion-wrap">
        <div className="axis-label-y">true class</div>
        <div>
          <div className="axis-label-x">predicted class</div>
          <div
            className="heatmap"
            data-testid="heatmap"
            style={{ gridTemplateColumns: `max-content repeat(${n}, ${cell}px)`, gridAutoRows: `${cell}px` }}
          >
            <div />
            {confusion.classNames.map((name) => (
              <div key={`col-${name}`} className="heat-col-label" title={name}>
                {name}
              </div>
            ))}
            {confusion.confusionMatrix.map((row, i) => (
              <Row
                key={i}
                name={confusion.classNames[i]}
                row={row}
                total={rowTotals[i]}
                diagonal={i}
                classNames={confusion.classNames}
                showNumbers={showNumbers}
                chosen={picked?.true === i ? picked.predicted : -1}
                onPick={(predicted) => setPicked({ true: i, predicted })}
              />
            ))}
          </div>
        </div>
      </div>
      {picked ? <MisclassifiedImages runId={runId} evaluationId={confusion.id} cell={picked} /> : null}
      <header className="card-title pad-top">Per-class accuracy</header>
      <table className="plain" data-testid="per-class">
        <thead>
          <tr>
            <th>class</th>
            <th>accuracy (recall)</th>
            <th className="right">precision</th>
            <th className="right">support</th>
          </tr>
        </thead>
        <tbody>
          {confusion.classNames.map((name, i) => {
            const acc = confusion.perClassAccuracy[i];
            const pc = confusion.perClass.find((p) => p.className === name);
            return (
              <tr key={name}>
                <td className="mono">{name}</td>
                <td>
                  <div className="hbar">
                    <span style={{ width: `${(acc ?? 0) * 100}%` }} />
                    <em>{formatPercent(acc)}</em>
                  </div>
                </td>
                <td className="right num">{formatPercent(pc?.precision)}</td>
                <td className="right num">{pc?.support ?? rowTotals[i]}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Row({
  name,
  row,
  total,
  diagonal,
  classNames,
  showNumbers,
  chosen,
  onPick,
}: {
  name: string;
  row: number[];
  total: number;
  diagonal: number;
  classNames: string[];
  showNumbers: boolean;
  /** The column of this row whose images are shown, -1 for none. */
  chosen: number;
  onPick: (predicted: number) => void;
}) {
  return (
    <>
      <div className="heat-row-label" title={name}>
        {name}
      </div>
      {row.map((count, j) => {
        const share = total === 0 ? 0 : count / total;
        // Row-normalised: each true class reads as where its examples went.
        const background = j === diagonal ? `rgba(46, 125, 50, ${0.08 + share * 0.92})` : `rgba(198, 40, 40, ${share === 0 ? 0 : 0.1 + share * 0.9})`;
        return (
          <div
            key={j}
            className={`heat-cell ${share > 0.55 ? 'dark' : ''} ${j !== diagonal && count > 0 ? 'clickable' : ''} ${j === chosen ? 'chosen' : ''}`}
            style={{ background }}
            title={`true ${name} → predicted ${classNames[j]}: ${count} (${formatPercent(share)} of ${name})${j !== diagonal && count > 0 ? ' · click for the images' : ''}`}
            onClick={j !== diagonal && count > 0 ? () => onPick(j) : undefined}
            data-true={diagonal}
            data-predicted={j}
          >
            {showNumbers && count > 0 ? count : ''}
          </div>
        );
      })}
    </>
  );
}
