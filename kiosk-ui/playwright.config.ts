import { defineConfig } from '@playwright/test';
import { DEBIAN_CHROMIUM } from './e2e/chromium.ts';

// KIOSK_E2E_BASE_URL points the suite at a running appliance (sim profile); without it the fake appliance
// in e2e/fake-appliance.ts serves dist/ and the contract's routes.
const external = process.env['KIOSK_E2E_BASE_URL'];
const PORT = Number(process.env['KIOSK_E2E_PORT'] ?? 4173);
// A second build folder lets two suites run side by side (`vite build --outDir dist-b`, KIOSK_E2E_DIST=dist-b).
const DIST = process.env['KIOSK_E2E_DIST'] ?? 'dist';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.spec.ts',
  outputDir: 'test-results/playwright',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 5_000 },
  // The JSON report feeds the closing "N passed, N failed" line of `make test`.
  reporter: [['list'], ['json', { outputFile: '../test-results/playwright.json' }]],
  use: {
    baseURL: external ?? `http://127.0.0.1:${PORT}`,
    viewport: { width: 1080, height: 1920 },
    locale: 'zh-CN',
    screenshot: 'only-on-failure',
    launchOptions: DEBIAN_CHROMIUM,
  },
  ...(external
    ? {}
    : {
        webServer: {
          command: `npx tsc -p e2e/tsconfig.fake.json && node e2e/dist/kiosk-ui/e2e/fake-appliance.js --port ${PORT} --dist ${DIST}`,
          url: `http://127.0.0.1:${PORT}/api/kiosk`,
          reuseExistingServer: false,
          timeout: 60_000,
          stdout: 'ignore',
          stderr: 'pipe',
        },
      }),
});
