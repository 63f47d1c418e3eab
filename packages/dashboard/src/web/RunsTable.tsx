/**
 * The runs table: server-side filtering, sorting and paging, with virtualised rows. Only the rows in view (plus
 * a margin) are in the DOM; pages are fetched in order as the view scrolls, so 10,000 runs stay fluid.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api, NO_FILTERS, type Facets, type RunFilters, type RunSort, type RunStatus, type RunSummary } from './api.ts';
import { formatDateTime, formatDuration, formatLr, formatPercent, shortId } from './format.ts';
import { assignColors } from './palette.ts';
import { StatusBadge } from './StatusBadge.tsx';
import { statusChoices, statusClass } from './statuses.ts';

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
}

const COLUMNS: Column[] = [
  { id: 'select', label: '', width: '36px' },
  { id: 'status', label: 'status', sort: 'status', width: '92px' },
  { id: 'name', label: 'run', sort: 'name', width: 'minmax(170px, 1.4fr)' },
  { id: 'experiment', label: 'experiment', sort: 'experiment', width: 'minmax(110px, 1fr)' },
  { id: 'model', label: 'model', sort: 'param:model.name', width: '110px' },
  { id: 'optimizer', label: 'optimizer', sort: 'param:optimizer.name', width: '90px' },
  { id: 'lr', label: 'lr', sort: 'param:optimizer.lr', width: '74px', align: 'right' },
  { id: 'best', label: 'best val acc', sort: 'metric.max:val/accuracy', width: '118px', align: 'right' },
  { id: 'duration', label: 'duration', sort: 'duration', width: '86px', align: 'right' },
  { id: 'started', label: 'started', sort: 'startTime', width: '120px' },
  { id: 'tags', label: 'tags', width: 'minmax(120px, 1.2fr)' },
];
const GRID = COLUMNS.map((c) => c.width).join(' ');

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
}

interface Loaded {
  queryKey: string;
  rows: RunSummary[];
  total: number;
  nextPageToken: string | null;
}

export function RunsTable(props: TableProps) {
  const { filters, sort, selected, onToggle, onOpen, onRowsSeen, refreshKey = 0, liveTick = 0 } = props;
  const queryKey = JSON.stringify([filters, sort, refreshKey]);
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
      .runs(filters, sort, { limit: FIRST_PAGE }, controller.signal)
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
      .runs(filters, sort, { limit, pageToken: current.nextPageToken }, controller.signal)
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
      .runs(filters, sort, { limit: Math.min(MAX_PAGE, Math.max(FIRST_PAGE, current.rows.length)) })
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

  const clickSort = (column: Column) => {
    if (!column.sort) return;
    if (sort.by === column.sort) props.onSort({ by: column.sort, order: sort.order === 'asc' ? 'desc' : 'asc' });
    else props.onSort({ by: column.sort, order: column.sort.startsWith('metric') || column.id === 'started' ? 'desc' : 'asc' });
  };

  return (
    <section className="runs" data-testid="runs-table">
      <FilterBar {...props} total={loaded.total} loadedQuery={loaded.queryKey === queryKey} />
      {error ? <div className="error">Could not load runs: {error}</div> : null}
      <div className="table" role="table" aria-rowcount={loaded.total}>
        <div className="thead" role="row" style={{ gridTemplateColumns: GRID }}>
          {COLUMNS.map((column) => (
            <div
              key={column.id}
              role="columnheader"
              className={`th ${column.sort ? 'sortable' : ''} ${column.align === 'right' ? 'right' : ''} ${sort.by === column.sort ? 'sorted' : ''}`}
              onClick={() => clickSort(column)}
              data-testid={`sort-${column.id}`}
              aria-sort={sort.by === column.sort ? (sort.order === 'asc' ? 'ascending' : 'descending') : undefined}
            >
              {column.label}
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
                />
              ) : (
                <div key={`loading-${index}`} className="tr placeholder" style={{ top: index * ROW_HEIGHT, gridTemplateColumns: GRID }}>
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
}: {
  run: RunSummary;
  top: number;
  checked: boolean;
  accent: string | undefined;
  onToggle: (run: RunSummary) => void;
  onOpen: (id: string) => void;
}) {
  const best = run.metrics['val/accuracy']?.max ?? null;
  const tags = Object.entries(run.tags);
  return (
    <div
      className={`tr ${checked ? 'selected' : ''}`}
      role="row"
      style={{ top, gridTemplateColumns: GRID }}
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
        <button className="link" onClick={() => onOpen(run.id)} title={`open run ${run.id}`}>
          {run.name}
        </button>
        {run.name === shortId(run.id) ? null : <span className="muted mono small">{shortId(run.id)}</span>}
      </div>
      <div className="td ellipsis" title={run.experimentName}>
        {run.experimentName}
      </div>
      <div className="td mono ellipsis">{run.params['model.name'] ?? '–'}</div>
      <div className="td mono">{run.params['optimizer.name'] ?? '–'}</div>
      <div className="td mono right">{formatLr(run.params['optimizer.lr'])}</div>
      <div className="td right best">
        {best === null ? (
          <span className="muted">–</span>
        ) : (
          <>
            <span className="track">
              <span className="bar" style={{ width: `${Math.max(0, Math.min(1, best)) * 100}%` }} />
            </span>
            <span className="num">{formatPercent(best)}</span>
          </>
        )}
      </div>
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

function FilterBar({
  filters,
  sort,
  facets,
  onFilters,
  total,
  loadedQuery,
  selected,
}: TableProps & { total: number; loadedQuery: boolean }) {
  const [text, setText] = useState(filters.q);
  const [tag, setTag] = useState(filters.tag);
  const [where, setWhere] = useState(filters.where);
  // Typing filters after a short pause, not on every key.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (text !== filters.q || tag !== filters.tag || where !== filters.where) onFilters((f) => ({ ...f, q: text, tag, where }));
    }, 250);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text, tag, where]);
  const counts = new Map(facets?.statuses.map((s) => [s.value, s.count]) ?? []);
  const toggleStatus = (status: RunStatus) => {
    onFilters((f) => ({ ...f, status: f.status.includes(status) ? f.status.filter((s) => s !== status) : [...f.status, status] }));
  };
  return (
    <div className="filters">
      <div className="filter-row">
        <input
          className="search"
          type="search"
          placeholder="Search runs: name, id, model, tag…"
          value={text}
          onChange={(e) => setText(e.target.value)}
          data-testid="search"
        />
        <div className="chips" role="group" aria-label="status">
          {statusChoices(facets?.statuses).map((status) => (
            <button
              key={status}
              className={`chip ${filters.status.includes(status) ? 'on' : ''}`}
              onClick={() => toggleStatus(status)}
              data-testid={`status-${status}`}
            >
              <span className={`status-dot ${statusClass(status)}`} />
              {status}
              {counts.has(status) ? <span className="count">{counts.get(status)}</span> : null}
            </button>
          ))}
        </div>
        <span className="spacer" />
        <span className="muted small" data-testid="run-count">
          {loadedQuery ? `${total.toLocaleString()} run${total === 1 ? '' : 's'}` : 'loading…'}
          {selected.length ? ` · ${selected.length} selected` : ''}
        </span>
        <a className="button" href={api.runsCsvUrl(filters, sort)} download>
          CSV
        </a>
      </div>
      <div className="filter-row">
        <FacetSelect label="experiment" value={filters.experiment} values={facets?.experiments} onChange={(v) => onFilters((f) => ({ ...f, experiment: v }))} />
        <FacetSelect label="model" value={filters.model} values={facets?.models} onChange={(v) => onFilters((f) => ({ ...f, model: v }))} />
        <FacetSelect label="optimizer" value={filters.optimizer} values={facets?.optimizers} onChange={(v) => onFilters((f) => ({ ...f, optimizer: v }))} />
        <input
          className="tag-filter"
          placeholder="tag or tag=value"
          value={tag}
          onChange={(e) => setTag(e.target.value)}
          list="tag-keys"
          data-testid="tag-filter"
        />
        <input
          className="tag-filter where"
          placeholder="max(val/accuracy)>0.9"
          title="Metric condition: key, min(key) or max(key), then <, <=, >, >=, = or !=, then a number"
          value={where}
          onChange={(e) => setWhere(e.target.value)}
          data-testid="where-filter"
        />
        <datalist id="tag-keys">
          {facets?.tagKeys.map((t) => <option key={t.value} value={t.value} />)}
        </datalist>
      </div>
    </div>
  );
}

function FacetSelect({
  label,
  value,
  values,
  onChange,
}: {
  label: string;
  value: string;
  values: { value: string; count: number }[] | undefined;
  onChange: (value: string) => void;
}) {
  return (
    <select className={`facet ${value ? 'on' : ''}`} value={value} onChange={(e) => onChange(e.target.value)} aria-label={label} data-testid={`filter-${label}`}>
      <option value="">any {label}</option>
      {values?.map((v) => (
        <option key={v.value} value={v.value}>
          {v.value} ({v.count})
        </option>
      ))}
      {value && !values?.some((v) => v.value === value) ? <option value={value}>{value}</option> : null}
    </select>
  );
}
