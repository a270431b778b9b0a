import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { DEBIAN_CHROMIUM } from './e2e/chromium.ts';
import {
  ADMIN_TOKEN,
  CENTRAL_PORT,
  CENTRAL_URL,
  OPERATOR,
  OPERATOR_PASSWORD,
  STALE_SECONDS,
} from './e2e-ops/ops.ts';

// The operations console against the reference central alone (no appliance: the spec plays a kiosk with its own
// key). A fresh store each run; the operator is added with the CLI before central starts. Needs `npx tsc -b`.
const DATA_DIR = join(tmpdir(), `certkiosk-e2e-ops-${CENTRAL_PORT}`);
const CENTRAL = 'node ../sync/dist/cli/central.js';

export default defineConfig({
  testDir: 'e2e-ops',
  testMatch: '*.spec.ts',
  outputDir: 'test-results/playwright-ops',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: '../test-results/playwright-ops.json' }]],
  use: {
    baseURL: CENTRAL_URL,
    viewport: { width: 1600, height: 1000 },
    locale: 'en-GB',
    screenshot: 'only-on-failure',
    launchOptions: DEBIAN_CHROMIUM,
  },
  webServer: {
    command: [
      `rm -rf ${DATA_DIR}`,
      `CERTKIOSK_OPERATOR_PASSWORD='${OPERATOR_PASSWORD}' ${CENTRAL} --data ${DATA_DIR} --add-operator ${OPERATOR}`,
      `exec ${CENTRAL} --port ${CENTRAL_PORT} --host 127.0.0.1 --data ${DATA_DIR} --admin-token ${ADMIN_TOKEN} --stale-heartbeat-seconds ${STALE_SECONDS}`,
    ].join(' && '),
    url: `${CENTRAL_URL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
