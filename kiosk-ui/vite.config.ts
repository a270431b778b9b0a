import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// The appliance serves dist/ as static files; a relative base lets it mount the UI under any path.
export default defineConfig({
  base: './',
  plugins: [svelte()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    // `npm run dev` talks to a running appliance (or the e2e fake appliance).
    proxy: { '/api': process.env['CERTKIOSK_APPLIANCE_URL'] ?? 'http://127.0.0.1:7420' },
  },
});
