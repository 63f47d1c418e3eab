// Public surface of @vgglab/dashboard: the server over the run store and the page it serves.
export { createServer, startServer, seriesColumns, columnsJson } from './server.ts';
export type { DashboardOptions, StartOptions, PredictFn, Prediction } from './server.ts';
export { ensurePageBuilt, pageNeedsBuild } from './build-page.ts';
export { DASHBOARD_DEFAULTS } from './defaults.ts';
