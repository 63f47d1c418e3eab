import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from './testing/fixture.ts';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const args = (...rest: string[]) => ['--import', 'tsx', cli, ...rest];

let fixture: Fixture;

/** The first match of `pattern` in what the child prints (its group 1). */
function printedUrl(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = pattern.exec(out);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}
beforeAll(() => {
  fixture = makeFixture();
});
afterAll(() => fixture?.cleanup());

describe('dashboard:serve command', () => {
  it('rejects a bad port and a missing db with a clear message', () => {
    const badPort = spawnSync(process.execPath, args('--db', fixture.dbFile, '--port', 'eighty'), { encoding: 'utf8' });
    expect(badPort.status).toBe(1);
    expect(badPort.stderr).toMatch(/--port must be an integer from 0 to 65535, received 'eighty'/);
    const missing = spawnSync(process.execPath, args('--db', join(fixture.dir, 'none.db')), { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no run store at .*none\.db/);
  });

  it('serves the store named by VGGLAB_DB on 127.0.0.1 until stopped', async () => {
    const child = spawn(process.execPath, args('--port', '0'), {
      env: { ...process.env, VGGLAB_DB: fixture.dbFile, INIT_CWD: fixture.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await printedUrl(child, /on (http:\/\/127\.0\.0\.1:\d+\/)/);
      const response = await fetch(`${url}api/runs?limit=1`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { total: number }).total).toBe(6);
    } finally {
      child.kill('SIGTERM');
    }
    const code = child.exitCode ?? (await new Promise<number | null>((resolve) => child.on('exit', resolve)));
    expect(code).toBe(0);
  });

  it('refuses --host 0.0.0.0 without a token in one line, and with VGGLAB_TOKEN prints the real address with the token', async () => {
    const refused = spawnSync(process.execPath, args('--db', fixture.dbFile, '--host', '0.0.0.0', '--port', '0'), {
      encoding: 'utf8',
      env: { ...process.env, VGGLAB_TOKEN: '' },
    });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^dashboard: refusing to serve 0\.0\.0\.0 without a token: .*--token <secret> or VGGLAB_TOKEN.*\n$/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);

    const token = 'cli-token-0123456789abcdef';
    const child = spawn(process.execPath, args('--db', fixture.dbFile, '--host', '0.0.0.0', '--port', '0'), {
      env: { ...process.env, VGGLAB_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const printed = await printedUrl(child, /on (http:\/\/\S+)  /);
      const url = new URL(printed);
      expect(url.searchParams.get('token')).toBe(token);
      const addresses = Object.values(networkInterfaces()).flatMap((list) => list ?? []).map((i) => i.address);
      expect(addresses).toContain(url.hostname);
      expect(url.hostname).not.toBe('0.0.0.0');
      const base = `${url.origin}/`;
      expect((await fetch(`${base}api/runs?limit=1`)).status).toBe(401);
      expect((await fetch(`${base}api/runs?limit=1`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
