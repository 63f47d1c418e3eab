#!/usr/bin/env node
// The `vgglab` command. Sources are TypeScript run through tsx (nothing is built), so register its ESM
// loader first, then hand over to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main, reportUnsettledExit } = await import('../src/cli/cli.ts');
reportUnsettledExit();
const code = await main(process.argv.slice(2));
// Exit explicitly: wasm worker threads keep the event loop alive after the work is done.
process.exit(code);
