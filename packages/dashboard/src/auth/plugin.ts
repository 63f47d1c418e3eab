/**
 * Token access as a fastify plugin: `app.register(tokenAuth, { token, everyRoute })`. It decorates the server with
 * `requireToken`, an onRequest hook that lets a request through only when it carries the token:
 * - `Authorization: Bearer <token>` (scripts, the API), or
 * - the session cookie, which a browser gets by opening any page once with `?token=<token>`: the server answers
 *   with the cookie (HttpOnly, SameSite=Strict) and a redirect to the same URL without the token, so the token
 *   leaves the address bar and the history (Jupyter's way).
 * With `everyRoute` (a server bound beyond loopback) the hook guards every request: API, page, static files, live
 * streams, predict, downloads, and unknown paths. Without it, only routes that add the hook themselves are guarded
 * (a write API: `app.addHook('onRequest', app.requireToken)` in its own plugin), and a loopback server's read
 * routes stay open as before.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { bearerToken, cookieValue, sessionValue, TOKEN_SOURCES, tokenProblem, tokensEqual } from './token.ts';

export interface TokenAuthOptions {
  /** The token. Without one, `requireToken` refuses every request it guards (there is nothing to check). */
  token?: string;
  /** Guard every request of this server (one listening beyond this machine). Defaults to false. */
  everyRoute?: boolean;
  /** The session cookie's name. Defaults to `vgglab-token`. */
  cookieName?: string;
  /** How long the session cookie lasts. Defaults to 7 days. */
  cookieMaxAgeSeconds?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook: 401 unless the request carries the token (Bearer header, session cookie, or `?token=`). */
    requireToken: onRequestAsyncHookHandler;
    /** Whether a token is set, and whether every route needs it. */
    tokenAuth: { hasToken: boolean; everyRoute: boolean };
  }
}

export const DEFAULT_COOKIE_NAME = 'vgglab-token';
const DEFAULT_COOKIE_MAX_AGE_S = 7 * 24 * 3600;

function refuse(reply: FastifyReply, message: string): FastifyReply {
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="vgglab"')
    .header('cache-control', 'no-store')
    .send({ statusCode: 401, error: 'Unauthorized', message });
}

/** `?token=` of a request URL, and the URL without it. */
function splitQueryToken(url: string): { token: string | null; clean: string } {
  const parsed = new URL(url, 'http://placeholder');
  const token = parsed.searchParams.get('token');
  parsed.searchParams.delete('token');
  return { token, clean: `${parsed.pathname}${parsed.search}` };
}

const tokenAuthPlugin: FastifyPluginAsync<TokenAuthOptions> = async (app, options) => {
  const { token, everyRoute = false } = options;
  if (token !== undefined) {
    const problem = tokenProblem(token);
    if (problem) throw new Error(problem);
  }
  const cookieName = options.cookieName ?? DEFAULT_COOKIE_NAME;
  const session = token === undefined ? undefined : sessionValue(token);
  const cookieMaxAge = options.cookieMaxAgeSeconds ?? DEFAULT_COOKIE_MAX_AGE_S;

  const carriesToken = (request: FastifyRequest): boolean => {
    if (token === undefined || session === undefined) return false;
    const bearer = bearerToken(request.headers.authorization);
    if (bearer !== undefined && tokensEqual(bearer, token)) return true;
    const cookie = cookieValue(request.headers.cookie, cookieName);
    return cookie !== undefined && tokensEqual(cookie, session);
  };

  /** A browser opening the printed URL: trade `?token=` for the session cookie and the clean URL. */
  const exchangeQueryToken = (request: FastifyRequest, reply: FastifyReply, given: string, clean: string): FastifyReply => {
    if (token === undefined || !tokensEqual(given, token)) return refuse(reply, 'wrong token in ?token=');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return refuse(reply, 'send the token as an `Authorization: Bearer <token>` header, not in the URL');
    }
    const secure = request.protocol === 'https' ? '; Secure' : '';
    return reply
      .code(302)
      .header('set-cookie', `${cookieName}=${session}; Path=/; Max-Age=${cookieMaxAge}; HttpOnly; SameSite=Strict${secure}`)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('location', clean)
      .send();
  };

  const requireToken: onRequestAsyncHookHandler = async (request, reply) => {
    const { token: given, clean } = splitQueryToken(request.url);
    if (given !== null) return exchangeQueryToken(request, reply, given, clean);
    if (carriesToken(request)) return;
    if (token === undefined) {
      return refuse(reply, `this server has no token: start it with ${TOKEN_SOURCES} to allow this request`);
    }
    return refuse(
      reply,
      'this dashboard needs its token: open the URL it printed at start (with ?token=…), or send `Authorization: Bearer <token>`',
    );
  };

  app.decorate('requireToken', requireToken);
  app.decorate('tokenAuth', { hasToken: token !== undefined, everyRoute });
  if (everyRoute) app.addHook('onRequest', requireToken);
};

/** The plugin; it applies to the server it is registered on (not encapsulated), before the routes are. */
export const tokenAuth = fp(tokenAuthPlugin, { name: 'vgglab-token-auth', fastify: '5.x' });
