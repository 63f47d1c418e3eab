/**
 * The compare view's one legend for all its charts: a line per run (or per group), its colour and dash. Clicking a
 * line hides it in every chart (and shows it again); hovering it highlights it in every chart, as hovering the line
 * in a chart highlights it here.
 */
import { useSyncExternalStore } from 'react';
import type { CompareLine } from './compare-lines.ts';
import { formatLr } from './format.ts';
import type { LineHighlight } from './highlight.ts';
import { StatusBadge } from './StatusBadge.tsx';
import type { RunLite } from './types.ts';

/** A short stroke of the line's colour and dash, as the charts draw it. */
export function LineSwatch({ color, dash }: { color: string; dash: readonly number[] }) {
  return (
    <svg className="line-swatch" width="22" height="10" aria-hidden="true">
      <line x1="1" y1="5" x2="21" y2="5" stroke={color} strokeWidth="3" strokeDasharray={dash.length ? dash.join(' ') : undefined} />
    </svg>
  );
}

interface LegendProps {
  lines: readonly CompareLine[];
  runs: readonly RunLite[];
  hidden: ReadonlySet<string>;
  onToggle: (lineId: string) => void;
  highlight: LineHighlight;
  onOpenRun: (id: string) => void;
  onDeselect: (id: string) => void;
  onClear: () => void;
}

export function LinesLegend({ lines, runs, hidden, onToggle, highlight, onOpenRun, onDeselect, onClear }: LegendProps) {
  const highlighted = useSyncExternalStore(
    (onChange) => highlight.join(onChange),
    () => highlight.id,
  );
  const runById = new Map(runs.map((r) => [r.id, r]));
  const grouped = lines.some((l) => l.grouped);
  return (
    <div className="legend" data-testid="run-legend">
      {lines.map((line) => {
        const run = line.grouped ? undefined : runById.get(line.runIds[0]);
        const off = hidden.has(line.id);
        return (
          <span
            key={line.id}
            className={`legend-item ${off ? 'off' : ''} ${highlighted === line.id && !off ? 'hl' : ''}`}
            title={line.grouped ? line.runIds.map((id) => runById.get(id)?.name ?? id).join(', ') : line.id}
            data-line={line.id}
            data-testid="legend-line"
            onMouseEnter={() => highlight.set(line.id)}
            onMouseLeave={() => highlight.set(null)}
          >
            <button
              className="line-toggle"
              aria-pressed={!off}
              title={off ? 'show in every chart' : 'hide in every chart'}
              onClick={() => onToggle(line.id)}
              data-testid="legend-toggle"
            >
              <LineSwatch color={line.color} dash={line.dash} />
              {line.label}
            </button>
            {line.grouped ? <span className="muted">{line.runIds.length} runs</span> : null}
            {run ? (
              <>
                <span className="muted">
                  {run.params['model.name'] ?? ''} · {run.params['optimizer.name'] ?? ''} · {formatLr(run.params['optimizer.lr'])}
                </span>
                <StatusBadge status={run.status} compact />
                <button className="icon" aria-label={`open ${run.name}`} title="open the run" onClick={() => onOpenRun(run.id)}>
                  ↗
                </button>
                <button className="icon" aria-label={`remove ${run.name} from comparison`} onClick={() => onDeselect(run.id)}>
                  ×
                </button>
              </>
            ) : null}
          </span>
        );
      })}
      {grouped ? (
        <span className="legend-runs muted small">
          runs:{' '}
          {runs.map((run) => (
            <span key={run.id} className="legend-run">
              <button className="link small" onClick={() => onOpenRun(run.id)}>
                {run.name}
              </button>
              <button className="icon" aria-label={`remove ${run.name} from comparison`} onClick={() => onDeselect(run.id)}>
                ×
              </button>
            </span>
          ))}
        </span>
      ) : null}
      <button className="link small" onClick={onClear}>
        clear
      </button>
    </div>
  );
}
