import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import sibling workspaces from source, not from their build output.
    alias: {
      '@certkiosk/config/facts': src('./config/src/facts.ts'),
      '@certkiosk/config': src('./config/src/index.ts'),
      '@certkiosk/firmware-bridge': src('./firmware-bridge/src/index.ts'),
      '@certkiosk/sync/central': src('./sync/src/central/index.ts'),
      '@certkiosk/sync': src('./sync/src/index.ts'),
    },
  },
  test: {
    include: ['*/src/**/*.test.ts'],
    // *.pg.test.ts need PostgreSQL: they run in the PostgreSQL pass (make unit-pg sets CENTRAL_TEST_DATABASE).
    exclude: [...configDefaults.exclude, ...(process.env.CENTRAL_TEST_DATABASE ? [] : ['**/*.pg.test.ts'])],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
