/**
 * The runs table: server-side filtering, sorting and paging, with virtualised rows. Only the rows in view (plus
 * a margin) are in the DOM; pages are fetched in order as the view scrolls, so 10,000 runs stay fluid. Between the
 * run's name and its duration come the chosen columns (ColumnPicker: any param or metric summary, kept in
 * localStorage); a metric column's bars are scaled to the runs loaded, the best of them full.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api, NO_FILTERS, type Facets, type RunFilters, type RunSort, type RunSummary } from './api.ts';
import { compareApi } from './api-compare.ts';
import { FilterBar } from './FilterBar.tsx';
import { formatDateTime, formatDuration, formatLr, formatNumber, formatPercent, shortId } from './format.ts';
import { assignColors } from './palette.ts';
import { lowerIsBetter } from './param-scatter.ts';
import { StatusBadge } from './StatusBadge.tsx';
import { barScale, cellValue, columnId, columnLabel, columnsQuery, columnSort, loadColumns, saveColumns, type TableColumn } from './table-columns.ts';
import { useEdits } from './use-edits.ts';
import './compare.css';

const ROW_HEIGHT = 34;
const OVERSCAN = 12;
const FIRST_PAGE = 200;
const MAX_PAGE = 1000;
/** While a loaded run is running, the first page is re-read this often (status, duration, best accuracy). */
const REFRESH_MS = 5000;

interface Column {
  id: string;
  label: string;
  /** Store sort key; none means not sortable. */
  sort?: string;
  width: string;
  align?: 'right';
  /** A chosen column (param or metric). */
  chosen?: TableColumn;
}

const LEADING: Column[] = [
  { id: 'select', label: '', width: '36px' },
  { id: 'status', label: 'status', sort: 'status', width: '92px' },
  { id: 'name', label: 'run', sort: 'name', width: 'minmax(250px, 2fr)' },
  { id: 'experiment', label: 'experiment', sort: 'experiment', width: 'minmax(100px, 0.8fr)' },
];
const TRAILING: Column[] = [
  { id: 'duration', label: 'duration', sort: 'duration', width: '86px', align: 'right' },
  { id: 'started', label: 'started', sort: 'startTime', width: '120px' },
  { id: 'tags', label: 'tags', width: 'minmax(120px, 1.2fr)' },
];

function tableColumns(chosen: readonly TableColumn[]): Column[] {
  const middle = chosen.map((c): Column => ({
    id: columnId(c),
    label: columnLabel(c),
    sort: columnSort(c),
    width: c.kind === 'metric' ? '150px' : c.key === 'model.name' ? '110px' : '104px',
    align: c.kind === 'metric' || c.key.endsWith('lr') ? 'right' : undefined,
    chosen: c,
  }));
  return [...LEADING, ...middle, ...TRAILING];
}

interface TableProps {
  filters: RunFilters;
  sort: RunSort;
  facets: Facets | null;
  selected: string[];
  /** Takes an update function: debounced text input must not overwrite filters changed meanwhile. */
  onFilters: (update: (f: RunFilters) => RunFilters) => void;
  onSort: (s: RunSort) => void;
  onToggle: (run: RunSummary) => void;
  onOpen: (id: string) => void;
  /** Latest rows seen for these ids (keeps the comparison's statuses current). */
  onRowsSeen?: (rows: RunSummary[]) => void;
  refreshKey?: number;
  /** Bumped when the server reports a run that started or stopped. */
  liveTick?: number;
  /** Compare these runs (the first of the filter). */
  onSelectMany?: (runs: RunSummary[]) => void;
  /** Most runs `onSelectMany` takes. */
  selectLimit?: number;
}

interface Loaded {
  queryKey: string;
  rows: RunSummary[];
  total: number;
  nextPageToken: string | null;
}

export function RunsTable(props: TableProps) {
  const { filters, sort, selected, onToggle, onOpen, onRowsSeen, refreshKey = 0, liveTick = 0, onSelectMany, selectLimit = 20 } = props;
  const [chosen, setChosen] = useState<TableColumn[]>(() => loadColumns());
  const columns = useMemo(() => tableColumns(chosen), [chosen]);
  const grid = columns.map((c) => c.width).join(' ');
  const query = useMemo(() => columnsQuery(chosen), [chosen]);
  const queryKey = JSON.stringify([filters, sort, refreshKey, query]);
  const edits = useEdits();
  const [loaded, setLoaded] = useState<Loaded>({ queryKey: '', rows: [], total: 0, nextPageToken: null });
  const [error, setError] = useState<string | null>(null);
  const [range, setRange] = useState({ start: 0, end: 40 });
  const scroller = useRef<HTMLDivElement>(null);
  const inflight = useRef<AbortController | null>(null);
  const loadedRef = useRef(loaded);
  loadedRef.current = loaded;
  const onRowsSeenRef = useRef(onRowsSeen);
  onRowsSeenRef.current = onRowsSeen;

  // A new query: start over from the first page, scrolled to the top.
  useEffect(() => {
    inflight.current?.abort();
    const controller = new AbortController();
    inflight.current = controller;
    setError(null);
    api
      .runs(filters, sort, { limit: FIRST_PAGE, ...query }, controller.signal)
      .then((page) => {
        setLoaded({ queryKey, rows: page.runs, total: page.total, nextPageToken: page.nextPageToken });
        onRowsSeenRef.current?.(page.runs);
        if (scroller.current) scroller.current.scrollTop = 0;
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof Error ? e.message : String(e));
      })
      .finally(() => {
        if (inflight.current === controller) inflight.current = null;
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [queryKey]);

  // Fetch further pages, in order, until the rows in view are loaded.
  useEffect(() => {
    const current = loaded;
    if (current.queryKey !== queryKey || inflight.current) return;
    const needed = Math.min(current.total, range.end + OVERSCAN);
    if (current.rows.length >= needed || current.nextPageToken === null) return;
    const controller = new AbortController();
    inflight.current = controller;
    const limit = Math.min(MAX_PAGE, Math.max(FIRST_PAGE, needed - current.rows.length + FIRST_PAGE));
    api
      .runs(filters, sort, { limit, pageToken: current.nextPageToken, ...query }, controller.signal)
      .then((page) => {
        if (loadedRef.current.queryKey !== queryKey) return;
        setLoaded((prev) => ({ ...prev, rows: prev.rows.concat(page.runs), nextPageToken: page.nextPageToken, total: page.total }));
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof Error ? e.message : String(e));
      })
      .finally(() => {
        if (inflight.current === controller) inflight.current = null;
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded, range, queryKey]);

  // Keep running runs current without a reload: re-read the first page; merge rows in place if the order held.
  const refreshFirstPage = useCallback(() => {
    const current = loadedRef.current;
    if (current.queryKey !== queryKey) return;
    api
      .runs(filters, sort, { limit: Math.min(MAX_PAGE, Math.max(FIRST_PAGE, current.rows.length)), ...query })
      .then((page) => {
        setLoaded((prev) => {
          if (prev.queryKey !== current.queryKey) return prev;
          const sameOrder = page.total === prev.total && page.runs.every((r, i) => prev.rows[i]?.id === r.id);
          const rows = sameOrder ? page.runs.concat(prev.rows.slice(page.runs.length)) : page.runs;
          return { ...prev, rows, total: page.total, nextPageToken: sameOrder ? prev.nextPageToken : page.nextPageToken };
        });
        onRowsSeenRef.current?.(page.runs);
      })
      .catch(() => {
        // A failed refresh keeps the rows shown; the next one tries again.
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [queryKey]);
  const hasRunning = loaded.rows.some((r) => r.status === 'running');
  useEffect(() => {
    if (!hasRunning) return;
    const timer = setInterval(refreshFirstPage, REFRESH_MS);
    return () => clearInterval(timer);
  }, [hasRunning, refreshFirstPage]);
  // A run started or stopped somewhere (server-sent event): show it now.
  useEffect(() => {
    if (liveTick > 0) refreshFirstPage();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [liveTick]);

  const updateRange = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const start = Math.max(0, Math.floor(el.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const end = Math.ceil((el.scrollTop + el.clientHeight) / ROW_HEIGHT) + OVERSCAN;
    setRange((r) => (r.start === start && r.end === end ? r : { start, end }));
  }, []);
  useLayoutEffect(updateRange, [updateRange, loaded.total]);

  const selectedSet = useMemo(() => new Set(selected), [selected]);
  // The compared runs' colours, as the compare view draws them (one line per run).
  const selectedColors = useMemo(() => assignColors(selected), [selected]);
  const rows = loaded.rows;
  const visible: { index: number; run: RunSummary | undefined }[] = [];
  for (let i = range.start; i < Math.min(loaded.total, range.end); i++) visible.push({ index: i, run: rows[i] });

  // Bars of each metric column, scaled to the runs loaded.
  const scales = useMemo(
    () => chosen.map((c) => (c.kind === 'metric' ? barScale(rows.map((r) => cellValue(r, c) as number | null), lowerIsBetter(c.key) && c.summary !== 'max') : null)),
    [rows, chosen],
  );
  const onColumns = (next: TableColumn[]) => {
    saveColumns(next);
    setChosen(next);
  };
  const selectAll = () => {
    api.runs(filters, sort, { limit: selectLimit }).then(
      (page) => onSelectMany?.(page.runs),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  };
  // A star changes the row in place (the list keeps its place); the starred filter sees it on its next read.
  const star = (run: RunSummary) => {
    compareApi.editRun(run.id, { starred: !run.starred }).then(
      ({ run: edited }) => setLoaded((prev) => ({ ...prev, rows: prev.rows.map((r) => (r.id === edited.id ? { ...r, starred: edited.starred } : r)) })),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  };

  const clickSort = (column: Column) => {
    if (!column.sort) return;
    if (sort.by === column.sort) props.onSort({ by: column.sort, order: sort.order === 'asc' ? 'desc' : 'asc' });
    else {
      // Best first: the lowest of a loss-like metric, the highest of others, the newest start.
      const metric = column.chosen?.kind === 'metric' ? column.chosen : null;
      const lowFirst = metric ? lowerIsBetter(metric.key) && metric.summary !== 'max' : column.id !== 'started';
      props.onSort({ by: column.sort, order: lowFirst ? 'asc' : 'desc' });
    }
  };

  return (
    <section className="runs" data-testid="runs-table">
      <FilterBar
        {...props}
        total={loaded.total}
        loadedQuery={loaded.queryKey === queryKey}
        columns={chosen}
        onColumns={onColumns}
        onSelectAll={onSelectMany ? selectAll : undefined}
        selectLimit={selectLimit}
      />
      {error ? <div className="error">Could not load runs: {error}</div> : null}
      <div className="table" role="table" aria-rowcount={loaded.total}>
        <div className="thead" role="row" style={{ gridTemplateColumns: grid }}>
          {columns.map((column) => (
            <div
              key={column.id}
              role="columnheader"
              className={`th ${column.sort ? 'sortable' : ''} ${column.align === 'right' ? 'right' : ''} ${sort.by === column.sort ? 'sorted' : ''} ${column.chosen ? 'as-written' : ''}`}
              title={column.chosen ? column.label : undefined}
              onClick={() => clickSort(column)}
              data-testid={`sort-${column.id}`}
              aria-sort={sort.by === column.sort ? (sort.order === 'asc' ? 'ascending' : 'descending') : undefined}
            >
              <span className="th-label">{column.label}</span>
              {sort.by === column.sort ? <span className="arrow">{sort.order === 'asc' ? '▲' : '▼'}</span> : null}
            </div>
          ))}
        </div>
        <div className="tbody" ref={scroller} onScroll={updateRange}>
          <div style={{ height: loaded.total * ROW_HEIGHT, position: 'relative' }}>
            {visible.map(({ index, run }) =>
              run ? (
                <Row
                  key={run.id}
                  run={run}
                  top={index * ROW_HEIGHT}
                  accent={selectedColors.get(run.id)}
                  checked={selectedSet.has(run.id)}
                  onToggle={onToggle}
                  onOpen={onOpen}
                  columns={columns}
                  grid={grid}
                  scales={scales}
                  onStar={edits ? star : undefined}
                />
              ) : (
                <div key={`loading-${index}`} className="tr placeholder" style={{ top: index * ROW_HEIGHT, gridTemplateColumns: grid }}>
                  <div />
                  <div className="skeleton" />
                  <div className="skeleton" />
                </div>
              ),
            )}
          </div>
          {loaded.queryKey === queryKey && loaded.total === 0 && !error ? (
            <div className="empty">
              {JSON.stringify(filters) === JSON.stringify(NO_FILTERS) ? (
                <>
                  No runs in this store yet. Start one with <code>npm run quickstart</code> or{' '}
                  <code>vgglab exp experiments/quickstart.yaml</code>; it appears here while it trains.
                </>
              ) : (
                'No runs match these filters.'
              )}
            </div>
          ) : null}
        </div>
      </div>
    </section>
  );
}

function Row({
  run,
  top,
  checked,
  accent,
  onToggle,
  onOpen,
  columns,
  grid,
  scales,
  onStar,
}: {
  run: RunSummary;
  top: number;
  checked: boolean;
  accent: string | undefined;
  onToggle: (run: RunSummary) => void;
  onOpen: (id: string) => void;
  columns: Column[];
  grid: string;
  /** Per chosen column, its bar scale (metric columns). */
  scales: (((value: number) => number) | null)[];
  /** Star or unstar (only where the page may edit). */
  onStar?: (run: RunSummary) => void;
}) {
  const tags = Object.entries(run.tags);
  let chosenIndex = -1;
  return (
    <div
      className={`tr ${checked ? 'selected' : ''}`}
      role="row"
      style={{ top, gridTemplateColumns: grid }}
      data-run-id={run.id}
      data-testid="run-row"
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('button, a, input')) return;
        onToggle(run);
      }}
    >
      <div className="td">
        <input
          type="checkbox"
          checked={checked}
          onChange={() => onToggle(run)}
          aria-label={`compare ${run.name}`}
          style={checked ? { accentColor: accent } : undefined}
        />
      </div>
      <div className="td">
        <StatusBadge status={run.status} />
      </div>
      <div className="td name">
        {onStar || run.starred ? (
          <button
            className={`star ${run.starred ? 'on' : ''}`}
            onClick={() => onStar?.(run)}
            disabled={!onStar}
            aria-label={`${run.starred ? 'unstar' : 'star'} ${run.name}`}
            aria-pressed={run.starred}
          >
            {run.starred ? '★' : '☆'}
          </button>
        ) : null}
        <button className="link" onClick={() => onOpen(run.id)} title={`open run ${run.id}: ${run.name}`}>
          {run.name}
        </button>
        {run.name === shortId(run.id) ? null : <span className="muted mono small">{shortId(run.id)}</span>}
      </div>
      <div className="td ellipsis" title={run.experimentName}>
        {run.experimentName}
      </div>
      {columns.map((column) => {
        if (!column.chosen) return null;
        chosenIndex++;
        return <ChosenCell key={column.id} run={run} column={column.chosen} scale={scales[chosenIndex] ?? null} />;
      })}
      <div className="td right num">{formatDuration(run.status === 'running' ? Date.now() - run.startTime : run.durationMs)}</div>
      <div className="td muted">{formatDateTime(run.startTime)}</div>
      <div className="td tags">
        {tags.map(([k, v]) => (
          <span key={k} className="tag" title={`${k}=${v}`}>
            {v === '' || v === 'true' ? k : `${k}: ${v}`}
          </span>
        ))}
      </div>
    </div>
  );
}

/** A chosen column's cell: a param as stored (a learning rate as 1e-4), or a metric with its bar. */
function ChosenCell({ run, column, scale }: { run: RunSummary; column: TableColumn; scale: ((value: number) => number) | null }) {
  const value = cellValue(run, column);
  if (column.kind === 'param') {
    const text = value === null ? '–' : column.key.endsWith('lr') ? formatLr(String(value)) : String(value);
    return (
      <div className={`td mono ellipsis ${column.key.endsWith('lr') ? 'right' : ''}`} title={`${column.key} = ${value ?? '–'}`}>
        {text}
      </div>
    );
  }
  if (value === null) {
    return (
      <div className="td right best">
        <span className="muted">–</span>
      </div>
    );
  }
  const n = value as number;
  const share = scale ? scale(n) : 1;
  return (
    <div className="td right best" data-column={columnId(column)} data-bar={share.toFixed(4)}>
      <span className="track">
        <span className="bar" style={{ width: `${share * 100}%` }} />
      </span>
      <span className="num">{/acc/i.test(column.key) && n >= 0 && n <= 1 ? formatPercent(n) : formatNumber(n, 4)}</span>
    </div>
  );
}
