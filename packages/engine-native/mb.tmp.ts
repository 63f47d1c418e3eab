import { loadAddon } from './src/index.ts';
const addon = (loadAddon() as any).addon;
addon.setThreads(1);
const time = (label: string, f: () => void, reps = 100) => { for (let i = 0; i < 5; i++) f(); const t = performance.now(); for (let i = 0; i < reps; i++) f(); console.log(label, ((performance.now() - t) / reps).toFixed(3), 'ms'); };
const p = Int32Array.of(32,16,16,64,3,3,64,16,16,1,1,1,1,1,1,1,1);
const x = new Float32Array(32*16*16*64).map(() => Math.random()); const w = new Float32Array(9*64*64).map(() => Math.random()-0.5); const b = new Float32Array(64); const y = new Float32Array(32*16*16*64);
time('conv 16x16 64->64 relu+bias', () => addon.conv2d(x, w, b, y, p, 1, 0));
time('conv 16x16 64->64 plain', () => addon.conv2d(x, w, null, y, p, 0, 0));
