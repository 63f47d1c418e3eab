/**
 * One HTTP exchange with the tracking server (node:http, a keep-alive agent per client). What can be retried is
 * told apart from what cannot: a TransportError is the network's (refused, reset, timed out, a response cut short),
 * an answer with a status is the server's.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';

/** The request never got a complete answer: the server is down, restarting, or the connection broke. */
export class TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers?: Record<string, string>;
  /** A JSON body, or a function that makes a fresh stream of the body (a retry streams it again). */
  body?: string | (() => Readable);
  /** Content length of a streamed body. */
  bodyBytes?: number;
  timeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpTarget {
  base: URL;
  agent: http.Agent;
  token?: string;
}

export function httpTarget(url: string, token: string | undefined): HttpTarget {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new Error(`the tracking server URL must look like http://host:port, received '${url}'`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error(`the tracking server URL must start with http:// or https://, received '${url}'`);
  }
  const Agent = base.protocol === 'https:' ? https.Agent : http.Agent;
  return { base, agent: new Agent({ keepAlive: true, maxSockets: 4 }), token: token || undefined };
}

/** Sends a request; resolves with the response still streaming (for downloads). */
export function openExchange(target: HttpTarget, request: HttpRequest): Promise<http.IncomingMessage> {
  const url = new URL(request.path, target.base);
  const headers: Record<string, string> = { ...request.headers };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  if (typeof request.body === 'string') {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(request.body));
  } else if (request.body) {
    headers['content-type'] ??= 'application/octet-stream';
    if (request.bodyBytes !== undefined) headers['content-length'] = String(request.bodyBytes);
  }
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: request.method, headers, agent: target.agent });
    req.setNoDelay(true);
    req.setTimeout(request.timeoutMs, () => req.destroy(new TransportError(`no answer within ${request.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => reject(err instanceof TransportError ? err : new TransportError(err.code ?? err.message)));
    req.on('response', resolve);
    if (typeof request.body === 'string') req.end(request.body);
    else if (request.body) {
      const stream = request.body();
      // A body that cannot be read (the file went away) is not the network's fault: no retry.
      stream.on('error', (err) => {
        req.destroy();
        reject(err);
      });
      stream.pipe(req);
    } else req.end();
  });
}

/** Sends a request and reads the whole answer. */
export async function exchange(target: HttpTarget, request: HttpRequest): Promise<HttpAnswer> {
  const response = await openExchange(target, request);
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('error', (err: NodeJS.ErrnoException) => reject(new TransportError(err.code ?? err.message)));
    response.on('aborted', () => reject(new TransportError('the answer was cut short')));
    response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
  });
}

/** Statuses that say "try again later" rather than "no". */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}
