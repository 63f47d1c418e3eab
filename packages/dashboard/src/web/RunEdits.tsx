/**
 * What a user writes about a run, from its page: its name, a star, a note, its tags, and deleting it. Each change is
 * one PATCH (one store transaction); the page shows the run as the server answers. Where the server does not let the
 * page edit (no token beyond loopback), the note and tags are shown read-only.
 */
import { useEffect, useState } from 'react';
import type { RunDetailsJson } from './api.ts';
import { compareApi, type RunEdit } from './api-compare.ts';
import { useEdits } from './use-edits.ts';

interface Props {
  run: RunDetailsJson;
  /** The run changed on the server: read it again. */
  onChanged: () => void;
  /** The run is gone. */
  onDeleted: () => void;
}

export function RunEdits({ run, onChanged, onDeleted }: Props) {
  const edits = useEdits();
  const [name, setName] = useState(run.name);
  const [note, setNote] = useState(run.note);
  const [tag, setTag] = useState('');
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setName(run.name);
    setNote(run.note);
  }, [run.id, run.name, run.note]);

  const save = (edit: RunEdit, done: string) => {
    setBusy(true);
    compareApi
      .editRun(run.id, edit)
      .then(() => {
        setMessage({ text: done, error: false });
        onChanged();
      })
      .catch((e: unknown) => setMessage({ text: e instanceof Error ? e.message : String(e), error: true }))
      .finally(() => setBusy(false));
  };
  const addTag = () => {
    const text = tag.trim();
    if (!text) return;
    const at = text.indexOf('=');
    const [key, value] = at < 0 ? [text, ''] : [text.slice(0, at).trim(), text.slice(at + 1).trim()];
    save({ tags: { set: { [key]: value } } }, `tag ${key} set`);
    setTag('');
  };
  const remove = () => {
    if (!window.confirm(`Delete run ${run.name} (${run.id}) with its metrics and checkpoint files? This cannot be undone.`)) return;
    setBusy(true);
    compareApi.deleteRun(run.id).then(onDeleted, (e: unknown) => {
      setBusy(false);
      setMessage({ text: e instanceof Error ? e.message : String(e), error: true });
    });
  };
  const tags = Object.entries(run.tags);

  if (!edits) {
    return (
      <section className="card" data-testid="run-notes">
        <header className="card-title">Note and tags</header>
        {run.note ? <p className="note-text">{run.note}</p> : <div className="muted">No note.</div>}
        <div className="tags">
          {tags.map(([k, v]) => (
            <span key={k} className="tag">
              {v === '' ? k : `${k}: ${v}`}
            </span>
          ))}
        </div>
        <div className="muted small pad-top">This dashboard is read-only here: start it on this machine, or with a token, to edit runs.</div>
      </section>
    );
  }

  return (
    <section className="card run-edit" data-testid="run-edit">
      <header className="card-title">
        Name, note and tags
        <button
          className={`star ${run.starred ? 'on' : ''}`}
          onClick={() => save({ starred: !run.starred }, run.starred ? 'unstarred' : 'starred')}
          aria-pressed={run.starred}
          aria-label={run.starred ? 'unstar this run' : 'star this run'}
          data-testid="run-star"
          disabled={busy}
        >
          {run.starred ? '★' : '☆'}
        </button>
      </header>
      <div className="row">
        <input type="text" value={name} onChange={(e) => setName(e.target.value)} aria-label="run name" data-testid="run-name-input" size={36} />
        <button className="button" disabled={busy || name.trim() === '' || name === run.name} onClick={() => save({ name }, 'renamed')} data-testid="run-rename">
          rename
        </button>
      </div>
      <textarea value={note} onChange={(e) => setNote(e.target.value)} placeholder="A note about this run: what it tried, what happened…" aria-label="note" data-testid="run-note" />
      <div className="row">
        <button className="button" disabled={busy || note === run.note} onClick={() => save({ note }, 'note saved')} data-testid="run-note-save">
          save note
        </button>
        {message ? (
          <span className={message.error ? 'error small' : 'saved small'} data-testid="run-edit-message">
            {message.text}
          </span>
        ) : null}
      </div>
      <div className="row tags">
        {tags.map(([k, v]) => (
          <span key={k} className="tag" data-testid="run-tag">
            {v === '' ? k : `${k}: ${v}`}
            <button className="icon" aria-label={`remove tag ${k}`} disabled={busy} onClick={() => save({ tags: { remove: [k] } }, `tag ${k} removed`)}>
              ×
            </button>
          </span>
        ))}
        <input
          type="text"
          value={tag}
          onChange={(e) => setTag(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && addTag()}
          placeholder="tag or tag=value"
          aria-label="add a tag"
          data-testid="run-tag-input"
        />
        <button className="button" disabled={busy || tag.trim() === ''} onClick={addTag}>
          add tag
        </button>
      </div>
      <div className="row">
        <button className="button danger" onClick={remove} disabled={busy || run.status === 'running'} title={run.status === 'running' ? 'a running run cannot be deleted' : undefined} data-testid="run-delete">
          delete run
        </button>
      </div>
    </section>
  );
}
