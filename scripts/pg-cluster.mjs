#!/usr/bin/env node
// A private PostgreSQL cluster for central (make central-pg, the PostgreSQL test run): Debian's postgresql
// (installed when missing), initdb into a folder of the project (.pg/<name>, gitignored), pg_ctl on a loopback
// port, its unix socket in that folder, trust auth for loopback only, database `certkiosk`.
//   node scripts/pg-cluster.mjs start [--name N] [--port P] [--db D] [--fresh] [--durable]
//        prints the URL of database D (default certkiosk) on stdout; idempotent; --fresh drops D first;
//        the test and demo clusters run with fsync off (nothing there must survive a power cut), --durable
//        starts one as production runs it, fsync on (the fleet bench: commits wait for the disk)
//   node scripts/pg-cluster.mjs stop  [--name N]
//   node scripts/pg-cluster.mjs url   [--name N] [--port P]
// As root (initdb refuses to run as root) the cluster runs as the `postgres` user the package creates: the
// folder is given to it, and initdb/pg_ctl run through runuser.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_PG_PORT = 54330;
const USER = 'certkiosk';
const DB = 'certkiosk';

function arg(args, name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

const isRoot = () => process.getuid?.() === 0;

/** The newest installed server's bin folder, installing Debian's postgresql when there is none. */
export function pgBin() {
  const find = () => {
    const base = '/usr/lib/postgresql';
    if (!existsSync(base)) return null;
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    return versions.length ? join(base, versions[0], 'bin') : null;
  };
  let bin = find();
  if (bin) return bin;
  const sudo = isRoot() ? [] : ['sudo'];
  process.stderr.write('pg-cluster: installing Debian package postgresql\n');
  const sh = (cmd) => {
    const [exe, ...rest] = [...sudo, ...cmd];
    execFileSync(exe, rest, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  sh(['apt-get', 'update', '-qq']);
  sh(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'postgresql']);
  bin = find();
  if (!bin) throw new Error('pg-cluster: postgresql installed but no initdb under /usr/lib/postgresql/*/bin');
  return bin;
}

/** Runs a server binary as the cluster's owner (this user, or postgres when this is root). */
function asOwner(exe, args, opts = {}) {
  const [cmd, full] = isRoot() ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
  return spawnSync(cmd, full, { encoding: 'utf8', ...opts });
}

export function clusterDir(name = 'cluster') {
  return join(ROOT, '.pg', name);
}

export function clusterUrl(port = DEFAULT_PG_PORT, db = DB) {
  return `postgres://${USER}@127.0.0.1:${port}/${db}`;
}

function ownerIds() {
  const out = execFileSync('id', ['postgres'], { encoding: 'utf8' });
  return { uid: Number(/uid=(\d+)/.exec(out)[1]), gid: Number(/gid=(\d+)/.exec(out)[1]) };
}

/** Start (initialising when new) and return the URL; a running cluster is reused. */
export function startCluster({
  name = 'cluster',
  port = DEFAULT_PG_PORT,
  db = DB,
  fresh = false,
  durable = false,
} = {}) {
  if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`pg-cluster: bad database name ${db}`);
  const bin = pgBin();
  const dir = clusterDir(name);
  const data = join(dir, 'data');
  // The parent stays traversable (the postgres user reaches its folder when this is root); the cluster's is 0700.
  mkdirSync(join(ROOT, '.pg'), { recursive: true, mode: 0o755 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(ROOT, '.pg', '.gitignore'), '*\n');
  if (isRoot()) {
    const { uid, gid } = ownerIds();
    chownSync(dir, uid, gid);
  }
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const r = asOwner(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      USER,
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ]);
    if (r.status !== 0) throw new Error(`pg-cluster: initdb failed: ${r.stderr || r.stdout}`);
  }
  const status = asOwner(join(bin, 'pg_ctl'), ['-D', data, 'status']);
  if (status.status !== 0) {
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c fsync=${durable ? 'on' : 'off'} -c max_connections=200`;
    const r = asOwner(join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-o',
      opts,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    if (r.status !== 0)
      throw new Error(
        `pg-cluster: pg_ctl start failed: ${r.stderr || r.stdout} (see ${join(dir, 'server.log')})`,
      );
  }
  const psql = (sql) =>
    asOwner(join(bin, 'psql'), ['-h', dir, '-p', String(port), '-U', USER, '-d', 'postgres', '-tAc', sql]);
  if (fresh) {
    const r = psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    if (r.status !== 0) throw new Error(`pg-cluster: dropping ${db} failed: ${r.stderr}`);
  }
  const exists = psql(`SELECT 1 FROM pg_database WHERE datname = '${db}'`);
  if (exists.status !== 0) throw new Error(`pg-cluster: psql failed: ${exists.stderr}`);
  if (exists.stdout.trim() !== '1') {
    const r = psql(`CREATE DATABASE ${db}`);
    if (r.status !== 0) throw new Error(`pg-cluster: creating ${db} failed: ${r.stderr}`);
  }
  return clusterUrl(port, db);
}

export function stopCluster({ name = 'cluster' } = {}) {
  const data = join(clusterDir(name), 'data');
  if (!existsSync(join(data, 'PG_VERSION'))) return;
  const bin = pgBin();
  asOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, ...args] = process.argv.slice(2);
  const name = arg(args, 'name', 'cluster');
  const port = Number(arg(args, 'port', process.env.CERTKIOSK_PG_PORT ?? DEFAULT_PG_PORT));
  try {
    const db = arg(args, 'db', DB);
    if (cmd === 'start')
      console.log(
        startCluster({
          name,
          port,
          db,
          fresh: args.includes('--fresh'),
          durable: args.includes('--durable'),
        }),
      );
    else if (cmd === 'stop') stopCluster({ name });
    else if (cmd === 'url') console.log(clusterUrl(port, db));
    else {
      console.error('usage: pg-cluster.mjs start|stop|url [--name N] [--port P]');
      process.exitCode = 2;
    }
  } catch (err) {
    console.error(err.message);
    process.exitCode = 1;
  }
}
