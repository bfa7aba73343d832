import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Everything is served by the gateway from dist/: no inline script or style (the
// Content-Security-Policy forbids them), no asset inlined as a data: URL, hashed file names.
export default defineConfig({
  base: '/backoffice/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    cssCodeSplit: false,
  },
  server: {
    // `npm run dev` behind the local gateway's APIs.
    proxy: { '/api': 'http://localhost:8080' },
  },
});
