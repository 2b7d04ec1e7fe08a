import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API runs on the Fastify server; `npm run dev -w web` proxies to it.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { '/api': 'http://localhost:3000' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Inline nothing as data: URLs into scripts; the CSP allows only 'self' scripts.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
