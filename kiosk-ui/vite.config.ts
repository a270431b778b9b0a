import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const appliance = process.env['CERTKIOSK_APPLIANCE_URL'] ?? 'http://127.0.0.1:7420';

// The appliance serves dist/ as static files; a relative base lets it mount the UI under any path.
export default defineConfig({
  base: './',
  plugins: [svelte()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    // `npm run dev` talks to a running appliance (or the e2e fake appliance). The appliance answers only to
    // its own Host and Origin (appliance/src/api/http-policy.ts), so the dev server speaks as its own page.
    proxy: {
      '/api': {
        target: appliance,
        changeOrigin: true,
        configure: (proxy) =>
          proxy.on('proxyReq', (proxyReq) => {
            if (proxyReq.getHeader('origin')) proxyReq.setHeader('origin', new URL(appliance).origin);
          }),
      },
    },
  },
});
