import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import type { ProxyOptions } from 'vite';
import { defineConfig } from 'vitest/config';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Same-origin proxying as the production nginx: /api → healer, /predict → backend. */
const healer = process.env.HEALER_URL ?? 'http://127.0.0.1:8081';
const backend = process.env.BACKEND_URL ?? 'http://127.0.0.1:5000';
/**
 * When the healer goes away mid-stream, end the browser's response too. The proxy otherwise keeps the
 * SSE response open forever, so EventSource never notices the loss and the page silently goes stale.
 */
const endWithUpstream: ProxyOptions['configure'] = (proxy) => {
  proxy.on('proxyRes', (proxyRes, _req, res) => {
    proxyRes.on('close', () => {
      if (!proxyRes.complete) res.destroy();
    });
  });
};
const proxy: Record<string, ProxyOptions> = {
  '/api': { target: healer, changeOrigin: true, configure: endWithUpstream },
  '/predict': { target: backend, changeOrigin: true },
  '/model': { target: backend, changeOrigin: true },
};

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: {
      '@aiops/healer/api': here('../healer/src/api/types.ts'),
      '@aiops/model/schema': here('../model/src/schema.ts'),
      '@aiops/model': here('../model/src/schema.ts'),
    },
  },
  server: { port: Number(process.env.PORT ?? 8080), strictPort: true, proxy },
  preview: { port: Number(process.env.PORT ?? 8080), strictPort: true, proxy },
  build: { outDir: 'dist', sourcemap: true },
  test: { environment: 'node', include: ['src/**/*.test.{ts,tsx}'] },
});
