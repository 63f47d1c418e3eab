/**
 * The page is a Vite build in packages/dashboard/dist. The server calls ensurePageBuilt at start, so
 * `dashboard:serve` works from a fresh clone: it builds when dist is missing or older than the page sources.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const defaultDistDir = join(packageDir, 'dist');
/** The page's sources: the page itself and the wire formats it shares with the server. */
const pageSourceDirs = [join(packageDir, 'src', 'web'), join(packageDir, 'src', 'wire')];

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True when dist has no index.html, or a page source (src/web, src/wire) changed after the last build. */
export function pageNeedsBuild(distDir: string = defaultDistDir): boolean {
  const index = join(distDir, 'index.html');
  if (!existsSync(index)) return true;
  // Only the package's own dist can be rebuilt from sources; a custom distDir is taken as it is.
  const sources = pageSourceDirs.filter((dir) => existsSync(dir));
  if (distDir !== defaultDistDir || sources.length === 0) return false;
  return Math.max(...sources.map(newestMtimeMs)) > statSync(index).mtimeMs;
}

let building: Promise<void> | undefined;

/** Builds the page with Vite when needed. Concurrent callers in one process share one build. */
export async function ensurePageBuilt(log: (line: string) => void = () => {}): Promise<void> {
  if (!pageNeedsBuild()) return;
  building ??= (async () => {
    log('vgglab dashboard: building the page (vite build)…');
    const started = Date.now();
    const { build } = await import('vite');
    await build({ configFile: join(packageDir, 'vite.config.ts'), logLevel: 'warn' });
    log(`vgglab dashboard: page built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  })().finally(() => {
    building = undefined;
  });
  return building;
}
