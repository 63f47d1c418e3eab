/** `vgglab data …`: thin wrappers over the data package (split, check, fetch, import-idx). */
import * as path from 'node:path';
import { flag, num, int, printJson, str, type Command } from '../command.ts';
import { DEFAULT_DATA_DIR, DEFAULT_SPLIT_SEED, DEFAULT_VAL_FRACTION, EXIT } from '../../defaults.ts';
import { UsageError } from '../../errors.ts';
import { invocationDir } from '../../paths.ts';

function oneRoot(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`data ${what} takes one data root, received ${positionals.length ? positionals.join(' ') : 'none'}`);
  return positionals[0]!;
}

const splitCommand: Command = {
  name: 'split',
  summary: 'Write a stratified, reproducible train/val split manifest of a class-per-folder root (or copy it into train/ and val/).',
  usage: 'vgglab data split <root> [--val 0.1] [--seed 0] [--out file] [--copy dest] [--json]',
  options: {
    val: { type: 'string', description: `Validation fraction of each class (default ${DEFAULT_VAL_FRACTION}).`, valueName: 'fraction' },
    seed: { type: 'string', description: `Split seed (default ${DEFAULT_SPLIT_SEED}).`, valueName: 'n' },
    out: { type: 'string', description: 'Manifest file (default <root>/split.json).', valueName: 'file' },
    copy: { type: 'string', description: "Copy files into <dest>/train/<class> and <dest>/val/<class> (the seed's layout) instead.", valueName: 'dest' },
    json: { type: 'boolean', description: 'Print JSON.' },
  },
  async run(values, positionals, io) {
    const { splitDataset } = await import('@vgglab/data');
    const base = invocationDir(io.env);
    const root = path.resolve(base, oneRoot(positionals, 'split'));
    const out = str(values, 'out');
    const copy = str(values, 'copy');
    const result = await splitDataset(root, {
      val: num(values, 'val', DEFAULT_VAL_FRACTION),
      seed: int(values, 'seed', DEFAULT_SPLIT_SEED, 0),
      ...(out ? { out: path.resolve(base, out) } : {}),
      ...(copy ? { copy: path.resolve(base, copy) } : {}),
    });
    if (flag(values, 'json')) {
      printJson(io, { manifestPath: result.manifestPath ?? null, copiedTo: result.copiedTo ?? null, counts: result.counts });
      return EXIT.ok;
    }
    const totals = Object.values(result.counts).reduce((a, c) => ({ train: a.train + c.train, val: a.val + c.val }), { train: 0, val: 0 });
    for (const [name, c] of Object.entries(result.counts)) io.stdout.write(`  ${name}: ${c.train} train, ${c.val} val\n`);
    io.stdout.write(`${totals.train} train / ${totals.val} val images; ${result.copiedTo ? `copied to ${result.copiedTo}` : `manifest ${result.manifestPath}`}\n`);
    return EXIT.ok;
  },
};

const checkCommand: Command = {
  name: 'check',
  summary: 'Images per class, size statistics, and every unreadable, corrupt, truncated, empty or non-image file with its reason.',
  usage: 'vgglab data check <root> [--json]',
  options: { json: { type: 'boolean', description: 'Print JSON.' } },
  async run(values, positionals, io) {
    const { checkDataset, formatCheckReport } = await import('@vgglab/data');
    const root = path.resolve(invocationDir(io.env), oneRoot(positionals, 'check'));
    const report = await checkDataset(root);
    if (flag(values, 'json')) printJson(io, report);
    else io.stdout.write(formatCheckReport(report).trimEnd() + '\n');
    return report.ok ? EXIT.ok : EXIT.error;
  },
};

const fetchCommand: Command = {
  name: 'fetch',
  summary: 'Download and extract a dataset by name (flowers) or URL; resumable, size- and checksum-checked.',
  usage: 'vgglab data fetch <name|url> [--dest data] [--sha256 hex] [--json]',
  options: {
    dest: { type: 'string', description: `Folder for the download and the extracted data (default ${DEFAULT_DATA_DIR}).`, valueName: 'dir' },
    sha256: { type: 'string', description: 'Expected SHA-256 of the download.', valueName: 'hex' },
    'no-extract': { type: 'boolean', description: 'Keep the archive as it is.' },
    json: { type: 'boolean', description: 'Print JSON.' },
  },
  details: 'Example:\n  vgglab data fetch flowers      # then: vgglab exp experiments/vgg16-flowers.yaml',
  async run(values, positionals, io) {
    const { fetchDataset } = await import('@vgglab/data');
    const what = oneRoot(positionals, 'fetch');
    const dest = path.resolve(invocationDir(io.env), str(values, 'dest') ?? DEFAULT_DATA_DIR);
    let lastShown = 0;
    const result = await fetchDataset(what, {
      dest,
      ...(str(values, 'sha256') ? { sha256: str(values, 'sha256') } : {}),
      extract: !flag(values, 'no-extract'),
      onProgress: (received, total) => {
        if (flag(values, 'json') || received - lastShown < 8 * 1024 * 1024) return;
        lastShown = received;
        io.stderr.write(`  ${(received / 1e6).toFixed(0)} MB${total ? ` of ${(total / 1e6).toFixed(0)} MB` : ''}\n`);
      },
    });
    if (flag(values, 'json')) printJson(io, result);
    else {
      io.stdout.write(`${result.downloaded ? 'downloaded' : 'already there'}: ${result.file} (${result.bytes} bytes, sha256 ${result.sha256})\n`);
      if (result.root) io.stdout.write(`data in ${result.root}\n`);
    }
    return EXIT.ok;
  },
};

const importIdxCommand: Command = {
  name: 'import-idx',
  summary: 'Turn MNIST-format (IDX) image and label files, gzipped or not, into a class-per-folder image root.',
  usage: 'vgglab data import-idx <images[.gz]> <labels[.gz]> --out <root> [--names a,b,…] [--json]',
  options: {
    out: { type: 'string', description: 'Image root to write (one folder per class).', valueName: 'root' },
    names: { type: 'string', description: 'Class folder names by label, comma-separated (default: the label digits).', valueName: 'a,b,…' },
    json: { type: 'boolean', description: 'Print JSON.' },
  },
  async run(values, positionals, io) {
    const { importIdx } = await import('@vgglab/data');
    if (positionals.length !== 2) throw new UsageError('data import-idx takes an images file and a labels file');
    const out = str(values, 'out');
    if (!out) throw new UsageError('data import-idx needs --out <root>');
    const base = invocationDir(io.env);
    const result = await importIdx(path.resolve(base, positionals[0]!), path.resolve(base, positionals[1]!), {
      out: path.resolve(base, out),
      ...(str(values, 'names') ? { names: str(values, 'names') } : {}),
    });
    if (flag(values, 'json')) printJson(io, result);
    else {
      io.stdout.write(`${result.images} images (${result.width}x${result.height}) into ${result.out}\n`);
      for (const [name, n] of Object.entries(result.classes)) io.stdout.write(`  ${name}: ${n}\n`);
    }
    return EXIT.ok;
  },
};

export const dataCommand: Command = {
  name: 'data',
  summary: 'Prepare image data: split, check, fetch (flowers), import IDX (MNIST-format) files.',
  usage: 'vgglab data <split|check|fetch|import-idx> [options]',
  options: {},
  subcommands: [splitCommand, checkCommand, fetchCommand, importIdxCommand],
};
