#!/usr/bin/env node
// certkiosk-config, as npm links it. Committed, so it exists when `npm ci` links bins (before the build);
// it runs the built CLI, dist/cli.js, with argv[1] set to it as if that were run directly.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(`certkiosk-config: ${fileURLToPath(cli)} is not built yet: run \`make build\`\n`);
  process.exit(1);
}
process.argv[1] = fileURLToPath(cli);
await import(cli.href);
