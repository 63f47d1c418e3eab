/** A test file's server: a fresh fixture store and a dashboard over it (inject only), made in beforeAll. */
import { afterAll, beforeAll } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../server/create.ts';
import type { DashboardOptions } from '../server/options.ts';
import { makeFixture, type Fixture } from './fixture.ts';

export interface TestServer {
  fixture: Fixture;
  app: FastifyInstance;
  /** GET through inject: status and parsed JSON body. */
  getJson<T = any>(url: string): Promise<{ status: number; body: T }>;
}

/** Registers beforeAll/afterAll in the calling file; the returned object is filled in before its tests run. */
export function testServer(options: Omit<DashboardOptions, 'dbFile'> = {}): TestServer {
  const server = {
    async getJson(url: string) {
      const response = await server.app.inject(url);
      return { status: response.statusCode, body: response.json() };
    },
  } as TestServer;
  beforeAll(async () => {
    server.fixture = makeFixture();
    server.app = await createServer({ dbFile: server.fixture.dbFile, ...options });
  });
  afterAll(async () => {
    await server.app?.close();
    server.fixture?.cleanup();
  });
  return server;
}
