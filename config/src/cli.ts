#!/usr/bin/env node
// certkiosk-config check FILE — validate a configuration file; prints "ok" or one line per problem.
import { loadConfigFile } from './loader.js';

const [cmd, file] = process.argv.slice(2);
if (cmd !== 'check' || !file) {
  process.stderr.write('usage: certkiosk-config check FILE\n');
  process.exit(64);
}
const result = loadConfigFile(file);
if (result.ok) {
  process.stdout.write('ok\n');
} else {
  for (const p of result.problems) process.stdout.write(`${p}\n`);
  process.exit(1);
}
