import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const packageDir = fileURLToPath(new URL('.', import.meta.url));

// The page lives in src/web; its build goes to packages/dashboard/dist, which the server serves.
export default defineConfig({
  root: `${packageDir}src/web`,
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: `${packageDir}dist`,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
});
