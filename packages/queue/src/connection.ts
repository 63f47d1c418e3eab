/**
 * Reaching Redis: a `redis://[user:password@]host:port[/db]` URL as BullMQ's connection options, and the checks a
 * worker makes before taking jobs (version, eviction policy, persistence), each failing with one clear line.
 */
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_DEFAULTS } from './defaults.ts';

/** BullMQ's connection options for a Redis URL. Workers need `maxRetriesPerRequest: null` (BullMQ's rule). */
export function redisOptions(url: string, overrides: RedisOptions = {}): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`the Redis URL must look like redis://host:port, received '${url}'`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`the Redis URL must start with redis:// (or rediss://), received '${url}'`);
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`the Redis URL's database must be a number, received '${parsed.pathname.slice(1)}'`);
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db,
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    ...overrides,
  };
}

/** The URL without its password, for messages. */
export function showRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

export interface RedisFacts {
  version: string;
  maxmemoryPolicy: string;
  aof: boolean;
  /** RDB snapshots configured (`save` not empty); null when CONFIG is not allowed. */
  rdb: boolean | null;
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** Reads what matters of a Redis server (one connection, closed after). */
export async function readRedisFacts(url: string): Promise<RedisFacts> {
  const { host, port, username, password, db, tls } = redisOptions(url);
  const client = new Redis({ host, port, username, password, db, tls, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true, connectTimeout: 5000 });
  client.on('error', () => undefined); // reported by the command that fails
  try {
    await client.connect();
    const info = await client.info();
    let rdb: boolean | null = null;
    try {
      const save = (await client.config('GET', 'save')) as string[];
      rdb = (save[1] ?? '').trim().length > 0;
    } catch {
      rdb = null; // CONFIG is often disabled on managed Redis
    }
    return {
      version: infoField(info, 'redis_version') ?? '0',
      maxmemoryPolicy: infoField(info, 'maxmemory_policy') ?? 'unknown',
      aof: infoField(info, 'aof_enabled') === '1',
      rdb,
    };
  } catch (error) {
    throw new Error(`cannot reach Redis at ${showRedisUrl(url)}: ${(error as Error).message}`);
  } finally {
    client.disconnect();
  }
}

/** What is wrong with this Redis for a queue of long jobs, one line each (empty: nothing). */
export function redisProblems(facts: RedisFacts): string[] {
  const problems: string[] = [];
  if (!versionAtLeast(facts.version, QUEUE_DEFAULTS.minRedisVersion)) {
    problems.push(`Redis ${facts.version} is older than ${QUEUE_DEFAULTS.minRedisVersion}, which BullMQ needs: upgrade Redis`);
  }
  if (facts.maxmemoryPolicy !== 'noeviction') {
    problems.push(
      `maxmemory-policy is ${facts.maxmemoryPolicy}: Redis could evict queue keys (jobs, locks) under memory pressure; set \`maxmemory-policy noeviction\``,
    );
  }
  if (!facts.aof && facts.rdb !== true) {
    problems.push('persistence is off (no AOF, no RDB snapshots): a Redis restart would lose the queue; set `appendonly yes`');
  }
  return problems;
}

/** Throws one message listing every problem of the Redis at `url` (a worker's start-up check). */
export async function checkRedis(url: string): Promise<RedisFacts> {
  const facts = await readRedisFacts(url);
  const problems = redisProblems(facts);
  if (problems.length > 0) throw new Error(`Redis at ${showRedisUrl(url)} cannot hold the queue safely: ${problems.join('; ')}`);
  return facts;
}
