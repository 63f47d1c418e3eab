import { openStore } from './src/index.ts';
const store = openStore('/tmp/vgglab-bench/store-200x1000.db', { readonly: true });
const q = (name: string, f: () => unknown) => { let best = 1e9; for (let i = 0; i < 15; i++) { const t = performance.now(); f(); best = Math.min(best, performance.now() - t); } console.log(name, best.toFixed(2)); };
q('default', () => store.listRuns({ limit: 50 }));
q('default no includes', () => store.listRuns({ limit: 50, includeParams: [], includeMetrics: [] }));
q('limit 1', () => store.listRuns({ limit: 1 }));
q('sort lr', () => store.listRuns({ limit: 50, sortBy: 'param:optimizer.lr' }));
q('text', () => store.listRuns({ limit: 50, text: 'rmsprop' }));
