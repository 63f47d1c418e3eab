/** Test helpers for the tracking server: one listening on a free loopback port over a fresh store, a client, and a
 * proxy that can lose answers. Everything started here is stopped by the test that started it. */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createHttpRunWriter, type TrackingClient, type TrackingClientOptions } from '@vgglab/store';
import { startServer, type StartedServer } from '../server/start.ts';
import type { QueueView, TrackingOptions } from '../server/options.ts';

export const TEST_TOKEN = 'tracking-test-token-0123456789abcdef';

export interface TrackingFixture {
  dir: string;
  dbFile: string;
  server: StartedServer;
  url: string;
  port: number;
  client(options?: Partial<TrackingClientOptions>): TrackingClient;
  /** Stops the server (and closes its store); `start` listens again on the same port over the same file. */
  stop(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startTrackingFixture(options: { tracking?: TrackingOptions; queue?: QueueView; dir?: string } = {}): Promise<TrackingFixture> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'vgglab-tracking-'));
  const dbFile = join(dir, 'runs', 'vgglab.db');
  const clients: TrackingClient[] = [];
  let server: StartedServer | null = null;
  let port = 0;
  const listen = async () => {
    server = await startServer({ dbFile, port, token: TEST_TOKEN, tracking: options.tracking ?? {}, queue: options.queue });
    port = (server.app.server.address() as AddressInfo).port;
  };
  await listen();
  const fixture: TrackingFixture = {
    dir,
    dbFile,
    get server() {
      return server!;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    client(overrides = {}) {
      const client = createHttpRunWriter({ url: fixture.url, token: TEST_TOKEN, spoolDir: join(dir, 'spool'), firstRetryMs: 20, maxRetryMs: 200, ...overrides });
      clients.push(client);
      return client;
    },
    async stop() {
      await server?.app.close();
      server = null;
    },
    start: listen,
    async cleanup() {
      await fixture.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/**
 * A TCP proxy in front of the server that, for the requests `dropAnswer` picks, lets the request through and then
 * closes the client's connection instead of passing the answer on: the server committed, the client never heard.
 */
export async function startLossyProxy(target: { port: number }, dropAnswer: (requestHead: string) => boolean): Promise<{ url: string; dropped: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { dropped: 0 };
  const server = net.createServer((client) => {
    sockets.add(client);
    const upstream = net.connect(target.port, '127.0.0.1');
    sockets.add(upstream);
    let head = '';
    let drop = false;
    client.on('data', (chunk: Buffer) => {
      // One request per connection is enough to decide on: the client's keep-alive reuses it, so decide per request line.
      const text = chunk.toString('latin1');
      const line = /^(GET|POST|PUT) [^\r\n]+/.exec(text);
      if (line) {
        head = line[0];
        drop = dropAnswer(head);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (drop) {
        state.dropped++;
        drop = false;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get dropped() {
      return state.dropped;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
