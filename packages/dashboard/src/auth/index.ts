// Token access to the dashboard's server, one module for every route that needs it (today: all routes of a server
// bound beyond loopback; later: the write API and page editing).
export { tokenAuth, DEFAULT_COOKIE_NAME, type TokenAuthOptions } from './plugin.ts';
export { tokensEqual, tokenProblem, sessionValue, TOKEN_MIN_LENGTH, TOKEN_SOURCES } from './token.ts';
