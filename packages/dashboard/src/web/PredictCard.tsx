/** The run view's predict card: drop an image, see the run's top-5 classes. */
import { useEffect, useRef, useState } from 'react';
import { api, type Prediction } from './api.ts';
import { formatPercent } from './format.ts';

export function PredictCard({ runId }: { runId: string }) {
  const [predictions, setPredictions] = useState<Prediction[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => () => {
    if (preview) URL.revokeObjectURL(preview);
  }, [preview]);

  const predict = async (file: File) => {
    setError(null);
    setPredictions(null);
    setPreview(URL.createObjectURL(file));
    setBusy(true);
    try {
      setPredictions(await api.predict(runId, file, 5));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" data-testid="predict">
      <header className="card-title">Predict</header>
      <div
        className={`dropzone ${over ? 'over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const file = e.dataTransfer.files[0];
          if (file) void predict(file);
        }}
        onClick={() => input.current?.click()}
      >
        {preview ? <img src={preview} alt="uploaded" /> : null}
        <div>
          <strong>Drop an image here</strong> or click to choose one.
          <div className="muted small">The run's best checkpoint classifies it (top 5).</div>
        </div>
        <input
          ref={input}
          type="file"
          accept="image/*"
          hidden
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void predict(file);
            e.target.value = '';
          }}
        />
      </div>
      {busy ? <div className="muted pad">predicting…</div> : null}
      {error ? <div className="error">{error}</div> : null}
      {predictions ? (
        <ol className="predictions">
          {predictions.map((p) => (
            <li key={p.label}>
              <span className="mono">{p.label}</span>
              <div className="hbar">
                <span style={{ width: `${p.probability * 100}%` }} />
                <em>{formatPercent(p.probability)}</em>
              </div>
            </li>
          ))}
        </ol>
      ) : null}
    </section>
  );
}
