import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DB_ENV_VAR, DEFAULT_DB_FILE } from '../defaults.ts';
import { invocationDir, resolveDbFile } from './db-file.ts';

describe('resolveDbFile', () => {
  const started = '/home/ada/project';
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ INIT_CWD: started, ...extra });

  it('takes --db, then VGGLAB_DB, then the spec’s store.db, then runs/vgglab.db, each resolved where it belongs', () => {
    const all = { flag: 'flag.db', specDb: 'spec.db', specDir: '/specs' };
    expect(resolveDbFile(all, env({ [DB_ENV_VAR]: 'env.db' }))).toBe(join(started, 'flag.db'));
    expect(resolveDbFile({ specDb: 'spec.db', specDir: '/specs' }, env({ [DB_ENV_VAR]: 'env.db' }))).toBe(join(started, 'env.db'));
    expect(resolveDbFile({ specDb: 'spec.db', specDir: '/specs' }, env())).toBe(resolve('/specs', 'spec.db'));
    expect(resolveDbFile({ specDb: 'spec.db' }, env())).toBe(join(started, 'spec.db')); // no spec folder: where the command ran
    expect(resolveDbFile({}, env())).toBe(join(started, DEFAULT_DB_FILE));
    expect(resolveDbFile({ flag: '/abs/x.db' }, env())).toBe('/abs/x.db');
  });

  it('treats an empty --db or VGGLAB_DB as not given', () => {
    expect(resolveDbFile({ flag: '' }, env({ [DB_ENV_VAR]: '' }))).toBe(join(started, DEFAULT_DB_FILE));
  });

  it('resolves against the directory the command was typed in: INIT_CWD (npm), then NX_WORKSPACE_ROOT, then cwd', () => {
    expect(invocationDir({ INIT_CWD: '/a', NX_WORKSPACE_ROOT: '/b' })).toBe('/a');
    expect(invocationDir({ NX_WORKSPACE_ROOT: '/b' })).toBe('/b');
    expect(invocationDir({})).toBe(process.cwd());
    expect(resolveDbFile({}, {})).toBe(resolve(process.cwd(), DEFAULT_DB_FILE));
  });
});
