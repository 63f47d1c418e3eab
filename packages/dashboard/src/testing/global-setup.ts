import { ensurePageBuilt } from '../build-page.ts';

/** One page build for the whole test run (test files run in parallel workers and must not race on dist). */
export default async function setup(): Promise<void> {
  await ensurePageBuilt((line) => process.stdout.write(`${line}\n`));
}
