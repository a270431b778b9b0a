// The database server's CPU for the "where the time goes" table: the summed user+system time of every PostgreSQL
// server process on this machine (the postmaster and its backends, named `postgres`, and the reaped ones
// through their parent's children times), read from /proc. On the
// bench machine only the fleet cluster is busy; an idle cluster adds nothing measurable.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds used so far by the processes named `postgres`, ended backends included. */
export function postgresCpuSeconds(): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      if (stat.slice(open + 1, close) !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      // utime + stime, and cutime + cstime: the backends that ended (the pool closes idle connections) and
      // were reaped by the postmaster, so the sum never goes back.
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks / USER_HZ;
}
