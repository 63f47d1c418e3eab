import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathRedactor } from './errors.ts';

describe('pathRedactor', () => {
  const runsDir = join('/srv', 'lab', 'runs');
  const redact = pathRedactor({ dbFile: join(runsDir, 'vgglab.db'), runsDir });

  it('names the db file, the runs folder and temporary files instead of their paths', () => {
    expect(redact(`no run with id 'abcd' in ${join(runsDir, 'vgglab.db')}`)).toBe("no run with id 'abcd' in the run store");
    expect(redact(`cannot open ${join(runsDir, 'x', 'ckpt')}`)).toBe('cannot open the runs folder/x/ckpt');
    const upload = join(tmpdir(), 'vgglab-predict-x1', 'image');
    expect(redact(`cannot read image ${upload}: ${upload}: bad header`)).toBe('cannot read image a temporary file: a temporary file: bad header');
  });

  it('leaves other text alone', () => {
    expect(redact('val/accuracy must be a number')).toBe('val/accuracy must be a number');
    expect(redact(`${tmpdir()}x is not the temporary folder`)).toBe(`${tmpdir()}x is not the temporary folder`);
  });
});
