import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Builds the page once (vite build) when dist is missing or stale, before any test file starts a server.
    globalSetup: ['./src/testing/global-setup.ts'],
    testTimeout: 30_000,
    // The browser test polls the page; a loaded CI machine can take seconds to render.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    hookTimeout: 60_000,
  },
});
