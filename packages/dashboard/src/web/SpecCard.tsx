/**
 * The spec that actually ran: the command line, the `-o` overrides and sweep values, and the resolved spec the run
 * stored (defaults, sweep values and overrides applied) with the fields an override or the sweep set marked. The
 * file as written is one click away (the other tab).
 */
import { useMemo, useState } from 'react';
import type { RunDetailsJson } from './api.ts';
import { changedFields, commandLine, lineOrigin, specLines } from './spec-lines.ts';

export function SpecCard({ run }: { run: RunDetailsJson }) {
  const [tab, setTab] = useState<'ran' | 'written'>('ran');
  const fields = useMemo(() => changedFields(run.overrides, run.sweepValues), [run.overrides, run.sweepValues]);
  const lines = useMemo(() => specLines(run.resolvedSpec), [run.resolvedSpec]);
  return (
    <section className="card" data-testid="spec">
      <header className="card-title">
        Spec
        <div className="tabs" role="tablist">
          <button role="tab" className={tab === 'ran' ? 'on' : ''} aria-selected={tab === 'ran'} onClick={() => setTab('ran')} data-testid="spec-tab-ran">
            that ran
          </button>
          <button role="tab" className={tab === 'written' ? 'on' : ''} aria-selected={tab === 'written'} onClick={() => setTab('written')} data-testid="spec-tab-written">
            as written
          </button>
        </div>
      </header>
      {run.command ? (
        <div className="command" data-testid="spec-command" title="the command that started this run">
          $ {commandLine(run.command)}
        </div>
      ) : null}
      {fields.overridden.length || fields.swept.length ? (
        <div className="tags pad-top" data-testid="spec-changes">
          {run.overrides.map((o) => (
            <span key={o} className="tag override-chip" title="a -o override">
              -o {o}
            </span>
          ))}
          {Object.entries(run.sweepValues ?? {}).map(([k, v]) => (
            <span key={k} className="tag sweep-chip" title="set by the sweep">
              sweep {k} = {typeof v === 'string' ? v : JSON.stringify(v)}
            </span>
          ))}
        </div>
      ) : null}
      {tab === 'ran' ? (
        <pre className="spec-lines pad-top" data-testid="spec-ran">
          {lines.map((line, i) => {
            const origin = lineOrigin(line.path, fields);
            return (
              <div key={i} className={origin ?? undefined} data-path={line.path} data-origin={origin ?? undefined}>
                {'  '.repeat(line.depth)}
                {line.text}
                {origin ? <span className="origin">{origin === 'override' ? '-o' : 'sweep'}</span> : null}
              </div>
            );
          })}
        </pre>
      ) : (
        <pre className="code pad-top" data-testid="spec-written">
          {run.specText ?? '(not recorded)'}
        </pre>
      )}
    </section>
  );
}
