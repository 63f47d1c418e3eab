import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every test file imports tfjs (seconds per import on this 2-core machine); sharing modules between the
    // files of a worker imports it once. The files share tfjs state only through setBackend('cpu') and the
    // engine's kernel list, which every file sets the same way.
    isolate: false,
  },
});
