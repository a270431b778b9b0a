#!/usr/bin/env node
// make doctor — is this machine ready to run certkiosk? Plain Node, no build needed. Run at the end of
// `make setup` (so inside `make demo` and `make test`) and on its own as `make doctor`.
// Prints one line per problem with its fix and exits 1, or `doctor: ok (N checks)` and exits 0.
// Usage: node scripts/doctor.mjs [DEBIAN_PACKAGE...]   (the Makefile passes its APT_PACKAGES; without
// arguments the list is asked of the Makefile, so it is defined in one place only)
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TIMEOUT_MS = 60_000;

/** Native addons the project loads at run time, each with code that really loads its binary. */
const ADDONS = [
  { name: 'pkcs11js', workspace: 'firmware-bridge', code: "new (require('pkcs11js').PKCS11)()" },
  {
    name: '@serialport/bindings-cpp',
    workspace: 'firmware-bridge',
    code: "require('serialport'); require('@serialport/bindings-cpp').autoDetect()",
  },
  {
    name: 'node-hid (hidraw)',
    workspace: 'firmware-bridge',
    code: "require('node-hid').getHidapiVersion()",
  },
  {
    name: 'node-hid (libusb)',
    workspace: 'firmware-bridge',
    code: "const h = require('node-hid'); h.setDriverType('libusb'); h.getHidapiVersion()",
  },
  { name: 'usb', workspace: 'firmware-bridge', code: "require('usb').usb.getDeviceList()" },
  {
    name: '@napi-rs/canvas',
    workspace: 'firmware-bridge',
    code: "require('@napi-rs/canvas').createCanvas(8, 8)",
  },
  { name: 'better-sqlite3', workspace: 'sync', code: "new (require('better-sqlite3'))(':memory:').close()" },
];

/** Programs the tests, the build and the demo start; each must answer its version (espeak-ng: speak Mandarin). */
const PROGRAMS = [
  { cmd: 'softhsm2-util', args: ['--version'], pkg: 'softhsm2' },
  { cmd: 'socat', args: ['-V'], pkg: 'socat' },
  { cmd: 'chromium', args: ['--version'], pkg: 'chromium' },
  // The kiosk UI's spoken prompts: made by its build, measured by its tests (kiosk-ui/scripts/make-voice.mjs).
  { cmd: 'espeak-ng', args: ['-v', 'cmn-latn-pinyin', '-q', '-x', '请'], pkg: 'espeak-ng' },
  { cmd: 'sox', args: ['--version'], pkg: 'sox' },
  // Central's invoice tests read the invoice PDFs back (sync/src/central/invoices/invoice-pdf.test.ts).
  { cmd: 'pdftotext', args: ['-v'], pkg: 'poppler-utils' },
];

const problems = [];
let checks = 0;

function check(ok, problem, fix) {
  checks++;
  if (!ok) problems.push(`doctor: ${problem} — fix: ${fix}`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: TIMEOUT_MS, ...options });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return { ok: !r.error && r.status === 0, out, error: r.error };
}

/** The line of a failure worth showing: the dynamic loader's or Node's own error, else the first line. */
function gist(out, error) {
  if (error) return error.code === 'ENOENT' ? 'not found' : error.message;
  const lines = out.split('\n').map((l) => l.trim());
  const hit = lines.find((l) => /shared object|Error:|error:|Cannot find|NODE_MODULE_VERSION/.test(l));
  return (hit ?? lines.find(Boolean) ?? 'failed without output').slice(0, 240);
}

// Node itself, as the root package.json's engines field asks.
{
  const want = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines?.node ?? '>=20';
  const [wMaj, wMin = 0] = want
    .replace(/^>=\s*/, '')
    .split('.')
    .map(Number);
  const [maj, min] = process.versions.node.split('.').map(Number);
  check(
    maj > wMaj || (maj === wMaj && min >= wMin),
    `Node ${process.versions.node} is older than the project's engines (${want})`,
    `install Node ${want.replace(/^>=\s*/, '')} or newer`,
  );
}

// Debian packages: every one in the Makefile's APT_PACKAGES is installed.
let packages = process.argv
  .slice(2)
  .flatMap((a) => a.split(/\s+/))
  .filter(Boolean);
if (packages.length === 0) {
  const r = run('make', ['-s', '--no-print-directory', '-C', ROOT, 'print-apt-packages']);
  packages = r.ok ? r.out.split(/\s+/).filter(Boolean) : [];
  if (packages.length === 0)
    check(false, 'could not read APT_PACKAGES from the Makefile', 'run `make doctor`');
}
if (packages.length > 0) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format, not a JS template
  const r = run('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...packages]);
  const installed = new Set(
    r.out
      .split('\n')
      .filter((l) => / ii\s*$/.test(l))
      .map((l) => l.split(' ')[0]?.replace(/:.*$/, '')),
  );
  for (const p of packages) {
    check(
      installed.has(p),
      `Debian package ${p} is not installed`,
      `make apt-deps (or apt-get install ${p})`,
    );
  }
}

// The programs the device tests, the demo and the browser tests start.
for (const { cmd, args, pkg } of PROGRAMS) {
  const r = run(cmd, args);
  check(
    r.ok,
    `\`${cmd} ${args.join(' ')}\` does not run (${gist(r.out, r.error)})`,
    `make apt-deps (or apt-get install --reinstall ${pkg})`,
  );
}

// Native addons: each loads its binary in a child process of its own, from the workspace that uses it.
const hasNodeModules = existsSync(join(ROOT, 'node_modules'));
check(hasNodeModules, 'node_modules is missing', 'make setup');
if (hasNodeModules) {
  for (const { name, workspace, code } of ADDONS) {
    const r = run(process.execPath, ['-e', code], { cwd: join(ROOT, workspace) });
    const why = gist(r.out, r.error);
    // The dynamic loader's complaint names the system library: its Debian package belongs in APT_PACKAGES.
    const lib = /([\w.+-]+\.so(?:\.\d+)*)(?::| \()/.exec(why.replace(/^.*?\bError: /, ''))?.[1];
    const fix = lib
      ? `add the Debian package that provides ${lib} to APT_PACKAGES in the Makefile, then make setup ` +
        '(../shared/hooks/native-deps-check names the package)'
      : /NODE_MODULE_VERSION|was compiled against/.test(why)
        ? `npm rebuild ${name.split(' ')[0]}`
        : 'npm ci --no-audit --no-fund';
    check(r.ok, `native addon ${name} does not load in ${workspace}/ (${why})`, fix);
  }
}

// Every workspace bin is linked in node_modules/.bin, points at the workspace's file, and can run.
const workspaces = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).workspaces ?? [];
for (const ws of workspaces) {
  const pkg = JSON.parse(readFileSync(join(ROOT, ws, 'package.json'), 'utf8'));
  const bins = typeof pkg.bin === 'string' ? { [pkg.name.replace(/^@.*\//, '')]: pkg.bin } : (pkg.bin ?? {});
  for (const [name, rel] of Object.entries(bins)) {
    const file = join(ROOT, ws, rel);
    const link = join(ROOT, 'node_modules', '.bin', name);
    if (!existsSync(file)) {
      check(
        false,
        `${ws}/${rel}, the file of the bin ${name}, does not exist`,
        `restore it: git checkout -- ${ws}/${rel}`,
      );
      continue;
    }
    let linked = false;
    try {
      linked = lstatSync(link) && realpathSync(link) === realpathSync(file);
    } catch {}
    check(
      linked,
      `${name} is not linked in node_modules/.bin (npx ${name} would fail)`,
      'npm ci --no-audit --no-fund (or rm node_modules/.package-lock.json && make setup)',
    );
    let executable = true;
    try {
      accessSync(file, constants.X_OK);
    } catch {
      executable = false;
    }
    check(executable, `${ws}/${rel} (bin ${name}) is not executable`, `chmod +x ${ws}/${rel}`);
    // A shim runs a built CLI: that must exist too.
    const target = /new URL\('(\.\.\/[^']+)'/.exec(readFileSync(file, 'utf8'))?.[1];
    if (target) {
      const built = join(dirname(file), target);
      check(existsSync(built), `${name} runs ${ws}/${target.slice(3)}, which is not built`, 'make build');
    }
  }
}

for (const line of problems) console.log(line);
if (problems.length > 0) {
  console.log(`doctor: ${problems.length} problem(s) in ${checks} checks`);
  process.exit(1);
}
console.log(`doctor: ok (${checks} checks)`);
