/**
 * The dashboard page. Routes live in the URL hash so a view can be bookmarked and shared:
 * `#/?runs=<id>,<id>` (table and comparison of those runs) and `#/run/<id>` (one run).
 */
import { StrictMode, useCallback, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, NO_FILTERS, type Facets, type RunFilters, type RunSort, type RunStatusChange, type RunSummary } from './api.ts';
import { ComparePanel } from './ComparePanel.tsx';
import { ParallelPanel } from './ParallelPanel.tsx';
import { ParamScatter } from './ParamScatter.tsx';
import { QueuePanel } from './QueuePanel.tsx';
import { RunsTable } from './RunsTable.tsx';
import { RunView } from './RunView.tsx';
import type { RunLite } from './types.ts';
import './styles.css';

type Route = { view: 'runs'; selected: string[] } | { view: 'run'; runId: string; selected: string[] };

function parseHash(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#/, '').split('?');
  const selected = (new URLSearchParams(search).get('runs') ?? '').split(',').filter(Boolean);
  const match = /^\/run\/([A-Za-z0-9_.-]+)/.exec(path);
  return match ? { view: 'run', runId: match[1], selected } : { view: 'runs', selected };
}

function toHash(route: Route): string {
  const search = route.selected.length ? `?runs=${route.selected.join(',')}` : '';
  return route.view === 'run' ? `#/run/${route.runId}${search}` : `#/${search}`;
}

const DEFAULT_SORT: RunSort = { by: 'startTime', order: 'desc' };
/** Comparing more runs than this stops being readable. */
const MAX_COMPARED = 20;

function App() {
  const [route, setRoute] = useState<Route>(() => parseHash(location.hash));
  const [filters, setFilters] = useState<RunFilters>(NO_FILTERS);
  const [sort, setSort] = useState<RunSort>(DEFAULT_SORT);
  const [facets, setFacets] = useState<Facets | null>(null);
  const [known, setKnown] = useState<Map<string, RunLite>>(new Map());

  useEffect(() => {
    const onHash = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const navigate = useCallback((next: Route, replace = false) => {
    const hash = toHash(next);
    if (replace) history.replaceState(null, '', hash);
    else history.pushState(null, '', hash);
    setRoute(next);
  }, []);

  // Runs that start or stop anywhere reach the table and the filter counts without a reload.
  const [liveTick, setLiveTick] = useState(0);
  useEffect(() => {
    api.facets().then(setFacets, () => setFacets(null));
  }, [liveTick]);
  useEffect(() => {
    const source = new EventSource(api.runEventsUrl());
    source.addEventListener('runs', () => setLiveTick((t) => t + 1));
    return () => source.close();
  }, []);

  // Runs selected by the URL but not seen in the table yet (a shared link) are fetched one by one.
  useEffect(() => {
    const missing = route.selected.filter((id) => !known.has(id));
    if (missing.length === 0) return;
    let cancelled = false;
    Promise.all(missing.map((id) => api.run(id).catch(() => null))).then((runs) => {
      if (cancelled) return;
      setKnown((prev) => {
        const next = new Map(prev);
        for (const run of runs) if (run) next.set(run.id, run);
        return next;
      });
    });
    return () => {
      cancelled = true;
    };
  }, [route.selected, known]);

  const remember = useCallback((rows: RunSummary[]) => {
    setKnown((prev) => {
      let next: Map<string, RunLite> | null = null;
      for (const row of rows) {
        const old = prev.get(row.id);
        if (old && old.status === row.status && old.durationMs === row.durationMs) continue;
        next ??= new Map(prev);
        next.set(row.id, row);
      }
      return next ?? prev;
    });
  }, []);

  const selectedRuns = useMemo(
    () => route.selected.map((id) => known.get(id)).filter((r): r is RunLite => r !== undefined),
    [route.selected, known],
  );

  const toggle = useCallback(
    (run: RunSummary) => {
      remember([run]);
      const selected = route.selected.includes(run.id)
        ? route.selected.filter((id) => id !== run.id)
        : [...route.selected, run.id].slice(-MAX_COMPARED);
      navigate({ ...route, selected }, true);
    },
    [route, navigate, remember],
  );

  const onStatusChange = useCallback((changes: RunStatusChange[]) => {
    setKnown((prev) => {
      const next = new Map(prev);
      for (const change of changes) {
        const run = next.get(change.id);
        if (run) next.set(change.id, { ...run, status: change.status, endTime: change.endTime });
      }
      return next;
    });
  }, []);

  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/" onClick={() => navigate({ view: 'runs', selected: route.selected })}>
          <span className="logo">▦</span> vgglab
        </a>
        <nav>
          <button className={route.view === 'runs' ? 'tab on' : 'tab'} onClick={() => navigate({ view: 'runs', selected: route.selected })}>
            Runs{route.selected.length ? ` · comparing ${route.selected.length}` : ''}
          </button>
          {route.view === 'run' ? <span className="tab on">Run {known.get(route.runId)?.name ?? route.runId.slice(0, 8)}</span> : null}
        </nav>
        <span className="spacer" />
        <span className="muted small">{facets ? `${facets.statuses.reduce((a, s) => a + s.count, 0).toLocaleString()} runs in store` : ''}</span>
      </header>
      {route.view === 'run' ? (
        <RunView
          runId={route.runId}
          onBack={() => navigate({ view: 'runs', selected: route.selected })}
          onCompare={(id) =>
            navigate({ view: 'runs', selected: route.selected.includes(id) ? route.selected : [...route.selected, id] })
          }
        />
      ) : (
        <main className="main">
          <QueuePanel onOpenRun={(id) => navigate({ view: 'run', runId: id, selected: route.selected })} />
          <RunsTable
            filters={filters}
            sort={sort}
            facets={facets}
            selected={route.selected}
            onFilters={setFilters}
            onSort={setSort}
            onToggle={toggle}
            onOpen={(id) => navigate({ view: 'run', runId: id, selected: route.selected })}
            onRowsSeen={remember}
            liveTick={liveTick}
            onSelectMany={(runs) => {
              remember(runs);
              navigate({ ...route, selected: runs.map((r) => r.id) }, true);
            }}
            selectLimit={MAX_COMPARED}
          />
          <ParamScatter
            filters={filters}
            sort={sort}
            selected={route.selected}
            onToggle={(id) =>
              navigate(
                {
                  ...route,
                  selected: route.selected.includes(id) ? route.selected.filter((s) => s !== id) : [...route.selected, id].slice(-MAX_COMPARED),
                },
                true,
              )
            }
            liveTick={liveTick}
          />
          <ParallelPanel filters={filters} sort={sort} liveTick={liveTick} onBrushes={(brushes) => setFilters((f) => ({ ...f, brushes }))} />
          <ComparePanel
            runs={selectedRuns}
            onDeselect={(id) => navigate({ ...route, selected: route.selected.filter((s) => s !== id) }, true)}
            onClear={() => navigate({ ...route, selected: [] }, true)}
            onOpenRun={(id) => navigate({ view: 'run', runId: id, selected: route.selected })}
            onStatusChange={onStatusChange}
          />
        </main>
      )}
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
