/**
 * The access token: how it is checked and what the browser keeps of it. Every comparison goes through
 * `tokensEqual`: both sides are hashed to 32 bytes first, so `timingSafeEqual` always compares equal lengths and
 * the time taken says nothing about the token (neither its length nor how many leading characters matched).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Shortest token accepted: a guessable token protects nothing (`openssl rand -hex 24` gives 48 characters). */
export const TOKEN_MIN_LENGTH = 16;

/** Where a token comes from, named in errors. */
export const TOKEN_SOURCES = '--token <secret> or VGGLAB_TOKEN';

/** A token's problem in one line, or null when it can be used. */
export function tokenProblem(token: string): string | null {
  if (token.length < TOKEN_MIN_LENGTH) {
    return `the token must be at least ${TOKEN_MIN_LENGTH} characters, received ${token.length} (make one with \`openssl rand -hex 24\`)`;
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    return 'the token may hold only printable ASCII without spaces (it travels in URLs, cookies and headers)';
  }
  return null;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** True when `given` is `expected`, in time that does not depend on where they differ or on their lengths. */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * What the session cookie holds: an HMAC of the token, not the token itself, so a cookie read from a browser's
 * storage is not the Bearer token of the API. It stays valid across restarts with the same token.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('vgglab dashboard session').digest('base64url');
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** One cookie's value from a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
