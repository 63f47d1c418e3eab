// Public surface of @vgglab/dashboard: the server over the run store and the page it serves.
export { createServer } from './server/create.ts';
export { startServer, startBanner, checkListenAccess } from './server/start.ts';
export type { StartedServer } from './server/start.ts';
export type { DashboardOptions, StartOptions, PredictFn, Prediction } from './server/options.ts';
export { seriesColumns, columnsJson } from './series/encode.ts';
export { tokenAuth, tokensEqual, TOKEN_MIN_LENGTH } from './auth/index.ts';
export type { TokenAuthOptions } from './auth/index.ts';
/** The binary series of /api/metrics, decoded as the page does (benchmarks and other clients read it with this). */
export { decodeBinarySeries } from './wire/binary-series.ts';
export { ensurePageBuilt, pageNeedsBuild } from './build-page.ts';
export { DASHBOARD_DEFAULTS } from './defaults.ts';
