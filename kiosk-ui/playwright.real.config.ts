import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { DEBIAN_CHROMIUM } from './e2e/chromium.ts';
import { CENTRAL_PORT, KIOSK_PORT, KIOSK_URL, PAYMENT_SECONDS } from './e2e-real/ports.ts';

// The same specs' habits as playwright.config.ts, but against the REAL appliance: `certkiosk-demo` starts the
// reference central and the kiosk daemon in the sim profile (emulated devices over PTYs and SoftHSM2) and
// serves the built kiosk-ui/dist. Needs `npx tsc -b` and `npm run build -w @certkiosk/kiosk-ui` first.
// --reset wipes the folder, so every run starts from an empty central, SoftHSM and kiosk store.
const DEMO_DIR = join(tmpdir(), `certkiosk-e2e-real-${KIOSK_PORT}`);
const DEMO_LOG = '../test-results/playwright-real-demo.log';

export default defineConfig({
  testDir: 'e2e-real',
  testMatch: '*.spec.ts',
  outputDir: 'test-results/playwright-real',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: '../test-results/playwright-real.json' }]],
  use: {
    baseURL: KIOSK_URL,
    viewport: { width: 1080, height: 1920 },
    locale: 'zh-CN',
    screenshot: 'only-on-failure',
    launchOptions: DEBIAN_CHROMIUM,
  },
  webServer: {
    // Its stdout (the daemons' JSON log records, as they are, prefixed [central]/[kiosk]; the demo's own lines)
    // goes to a log beside the reports; errors still show here.
    command: `mkdir -p ../test-results && exec node ../appliance/dist/cli/demo.js --reset --dir ${DEMO_DIR} --central-port ${CENTRAL_PORT} --kiosk-port ${KIOSK_PORT} --payment-seconds ${PAYMENT_SECONDS} --json-logs > ${DEMO_LOG}`,
    url: `${KIOSK_URL}/api/state`,
    reuseExistingServer: false,
    timeout: 90_000,
    // The demo stops its daemons (own process groups) on SIGTERM; a SIGKILL would leave them on the ports.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
