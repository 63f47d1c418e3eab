/**
 * The zoom-detail behaviour (zoom-detail.ts) as one React hook, shared by the compare view and the run view: it
 * follows a ZoomGroup's range and, zoomed, asks `/api/metrics` for the step range each run shows (debounced), at the
 * same bucket count as the whole-run series; reset (or another x axis, which makes a new group) drops the detail at
 * once, without a request.
 */
import { useEffect, useRef, useState } from 'react';
import { api, type SeriesJson } from './api.ts';
import type { XMode } from './x-mode.ts';
import { epochMapper, type RunSeries } from './series.ts';
import { DETAIL_DEBOUNCE_MS, detailCovers, detailRequests, detailWanted, stepRangeOfX, withDetail, type StepRange } from './zoom-detail.ts';
import type { XRange, ZoomGroup } from './zoom-group.ts';

/** The series read for a zoomed range: per run, its step range and its series by key. */
export interface ZoomDetail {
  ranges: Map<string, StepRange>;
  series: Map<string, RunSeries>;
}

export type DetailStatus = 'none' | 'loading' | 'loaded';

export interface ZoomDetailOptions {
  /** The charted runs (startTime places them on the relative/wall time axes). */
  runs: readonly { id: string; startTime: number }[];
  /** Whole-run series by run. Its identity changes on a (re)load; live points are appended in place. */
  data: ReadonlyMap<string, RunSeries>;
  /** The charted metric keys (asked for again in the range). */
  keys: readonly string[];
  /** Buckets per series of the whole-run request; null while unknown (no request then). */
  buckets: number | null;
  xMode: XMode;
  zoomGroup: ZoomGroup;
  onError: (message: string) => void;
}

export interface ZoomDetailState {
  detail: ZoomDetail | null;
  status: DetailStatus;
  /** `stepMin..stepMax` per request, comma-separated (for `data-detail-ranges`); undefined without detail. */
  rangesText: string | undefined;
}

/** What a chart draws for one run and key: the whole-run series, with the zoom's detail inside its range. */
export function seriesWithDetail(detail: ZoomDetail | null, runId: string, whole: SeriesJson | undefined, key: string): SeriesJson | undefined {
  const zoomed = detail?.series.get(runId)?.get(key);
  const range = detail?.ranges.get(runId);
  return whole && zoomed && range ? withDetail(whole, zoomed, range) : whole;
}

export function useZoomDetail({ runs, data, keys, buckets, xMode, zoomGroup, onError }: ZoomDetailOptions): ZoomDetailState {
  // The group's range, followed as a member of the group (null when not zoomed).
  const [zoomRange, setZoomRange] = useState<XRange | null>(zoomGroup.range);
  const [detail, setDetail] = useState<ZoomDetail | null>(null);
  const [status, setStatus] = useState<DetailStatus>('none');
  const detailRef = useRef(detail);
  detailRef.current = detail;
  const runsRef = useRef(runs);
  runsRef.current = runs;
  const onErrorRef = useRef(onError);
  onErrorRef.current = onError;
  const idsKey = runs.map((r) => r.id).join(',');
  const keysKey = keys.join('\u0000');

  useEffect(() => {
    setZoomRange(zoomGroup.range);
    return zoomGroup.join({ showRange: setZoomRange });
  }, [zoomGroup]);

  // Zoomed: ask for the shown step range of every run that has more detail there than it shows (debounced).
  useEffect(() => {
    const ranges = new Map<string, StepRange>();
    if (zoomRange && buckets !== null && keys.length > 0) {
      for (const run of runsRef.current) {
        const runSeries = data.get(run.id);
        if (!runSeries) continue;
        const range = stepRangeOfX(runSeries, zoomRange, xMode, run.startTime, epochMapper(runSeries));
        if (range && detailWanted(runSeries, range)) ranges.set(run.id, range);
      }
    }
    if (ranges.size === 0) {
      setDetail(null);
      setStatus('none');
      return;
    }
    const loaded = detailRef.current;
    if (loaded && detailCovers(loaded.ranges, loaded.series, ranges)) return;
    const controller = new AbortController();
    const wantedKeys = [...keys];
    const timer = setTimeout(() => {
      setStatus('loading');
      Promise.all(
        detailRequests(ranges).map(({ runIds, range }) => api.series(runIds, wantedKeys, buckets!, { ...range, signal: controller.signal })),
      )
        .then((responses) => {
          if (controller.signal.aborted) return;
          const series = new Map<string, RunSeries>();
          for (const response of responses) {
            for (const s of response.series) {
              if (!series.has(s.runId)) series.set(s.runId, new Map());
              series.get(s.runId)!.set(s.key, s);
            }
          }
          setDetail({ ranges, series });
          setStatus('loaded');
        })
        .catch((e: unknown) => {
          if (controller.signal.aborted) return;
          onErrorRef.current(e instanceof Error ? e.message : String(e));
          setStatus('none');
        });
    }, DETAIL_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
    // `data` changes identity on every load (live appends only extend it); runs are read through runsRef, keys by
    // their content.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [zoomRange, xMode, buckets, keysKey, data, idsKey]);

  const rangesText = detail ? detailRequests(detail.ranges).map(({ range }) => `${range.stepMin}..${range.stepMax}`).join(',') : undefined;
  return { detail, status, rangesText };
}
