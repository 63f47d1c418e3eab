/**
 * `vgglab data check <root> [--json]`: images per class, size statistics, and every file that training
 * would skip, with the reason. Every file is fully decoded (truncated data shows only then).
 */
import path from 'node:path';
import { DEFAULT_CONCURRENCY } from './defaults.ts';
import { decodeImage } from './decode.ts';
import { Limiter } from './loader.ts';
import { BadImageError, probeImage } from './probe.ts';
import { DatasetError, detectLayout, scanClasses } from './scan.ts';

export interface CheckOptions {
  /** Files decoded at once; default two per core. */
  concurrency?: number;
}

export interface SizeStats {
  min: number;
  max: number;
  mean: number;
  median: number;
}

export interface CheckReport {
  root: string;
  layout: 'classes' | 'split';
  /** Per part ('all' for one pool; 'train' and 'val' for the split layout). */
  parts: {
    name: string;
    root: string;
    classes: { name: string; images: number; bad: number }[];
  }[];
  images: number;
  formats: Record<string, number>;
  width: SizeStats | null;
  height: SizeStats | null;
  bad: { file: string; reason: string }[];
  /** True when training could use the data (at least two classes, each with a readable image). */
  ok: boolean;
  problems: string[];
}

function stats(values: number[]): SizeStats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return {
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mean: Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10,
    median: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
  };
}

export async function checkDataset(rootIn: string, options: CheckOptions = {}): Promise<CheckReport> {
  const root = path.resolve(rootIn);
  const layout = await detectLayout(root);
  const partRoots = layout === 'split' ? [['train', path.join(root, 'train')], ['val', path.join(root, 'val')]] : [['all', root]];
  const limiter = new Limiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  const report: CheckReport = { root, layout, parts: [], images: 0, formats: {}, width: null, height: null, bad: [], ok: true, problems: [] };
  const widths: number[] = [];
  const heights: number[] = [];
  for (const [name, partRoot] of partRoots as [string, string][]) {
    const classes = await scanClasses(partRoot);
    const part = { name, root: partRoot, classes: [] as CheckReport['parts'][number]['classes'] };
    for (const c of classes) {
      const results = await Promise.all(
        c.files.map((rel) =>
          limiter.run(async () => {
            const file = path.join(partRoot, rel);
            try {
              const header = await probeImage(file);
              await decodeImage(file);
              return { header };
            } catch (e) {
              if (e instanceof BadImageError) return { bad: { file, reason: e.reason } };
              throw e;
            }
          }),
        ),
      );
      let good = 0;
      for (const r of results) {
        if (r.bad) report.bad.push(r.bad);
        else if (r.header) {
          good++;
          widths.push(r.header.width);
          heights.push(r.header.height);
          report.formats[r.header.format] = (report.formats[r.header.format] ?? 0) + 1;
        }
      }
      report.images += good;
      part.classes.push({ name: c.name, images: good, bad: results.length - good });
      if (good === 0) report.problems.push(`class folder '${c.dir}' has no readable image`);
    }
    report.parts.push(part);
  }
  report.width = stats(widths);
  report.height = stats(heights);
  report.ok = report.problems.length === 0;
  return report;
}

/** The report as text for the terminal. */
export function formatCheckReport(r: CheckReport): string {
  const lines: string[] = [`${r.root} (${r.layout === 'split' ? 'train/ and val/ folders' : 'one folder per class'})`];
  for (const p of r.parts) {
    if (r.layout === 'split') lines.push(`${p.name}:`);
    const width = Math.max(5, ...p.classes.map((c) => c.name.length));
    for (const c of p.classes) lines.push(`  ${c.name.padEnd(width)}  ${String(c.images).padStart(7)} images${c.bad ? `  (${c.bad} unreadable)` : ''}`);
  }
  lines.push(`${r.images} readable images; formats: ${Object.entries(r.formats).map(([f, n]) => `${f} ${n}`).join(', ') || 'none'}`);
  if (r.width && r.height) {
    lines.push(`width  min ${r.width.min}  median ${r.width.median}  mean ${r.width.mean}  max ${r.width.max}`);
    lines.push(`height min ${r.height.min}  median ${r.height.median}  mean ${r.height.mean}  max ${r.height.max}`);
  }
  if (r.bad.length > 0) {
    lines.push(`${r.bad.length} unreadable file${r.bad.length === 1 ? '' : 's'} (training skips them):`);
    for (const b of r.bad) lines.push(`  ${b.file}: ${b.reason}`);
  }
  for (const p of r.problems) lines.push(`error: ${p}`);
  return lines.join('\n');
}

export { DatasetError };
