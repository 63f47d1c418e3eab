/**
 * The missing-data hint of the image datasets: a folder the options name that does not exist and lies where a
 * dataset `vgglab data fetch` knows would extract (flower_photos) gets the command that fetches it, with
 * `--dest` pointing where the spec expects it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { KNOWN_DATASETS } from './defaults.ts';

/** Options of an image dataset that name folders. */
const FOLDER_OPTIONS = ['root', 'trainRoot', 'valRoot'];

export function fetchHint(options: Record<string, unknown>, baseDir: string): string | undefined {
  for (const key of FOLDER_OPTIONS) {
    const value = options[key];
    if (typeof value !== 'string') continue;
    const abs = path.resolve(baseDir, value);
    if (fs.existsSync(abs)) continue;
    for (const [name, known] of Object.entries(KNOWN_DATASETS)) {
      const at = abs.split(path.sep).lastIndexOf(known.extractsTo);
      if (at < 0) continue;
      const dest = abs.split(path.sep).slice(0, at).join(path.sep) || path.sep;
      const shown = path.relative(process.cwd(), dest) || '.';
      return `get it with \`vgglab data fetch ${name} --dest ${shown.startsWith('..') ? dest : shown}\``;
    }
  }
  return undefined;
}
