import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests here train small models or write thousands of rows: CPU-bound seconds that a loaded 2-core machine
    // can stretch past vitest's 5 s default (a hang still fails, at 30 s).
    testTimeout: 30_000,
  },
});
