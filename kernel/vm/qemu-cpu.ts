// QEMU's own CPU time, the cost of a guest workload that holds on a loaded host: there wall
// time is mostly waiting for a CPU, CPU time is the work the guest made QEMU do.
import * as fs from 'node:fs';

/** pid → (ppid, comm) of every process. */
function processes(): Map<number, { ppid: number; comm: string }> {
  const all = new Map<number, { ppid: number; comm: string }>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.set(Number(d), { ppid: Number(f[1]), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch { /* gone meanwhile */ }
  }
  return all;
}

/** The QEMU that `root` started (a descendant of it), or null. */
export function findQemu(root: number): number | null {
  const all = processes();
  for (const [pid, p] of all) {
    if (!p.comm.startsWith('qemu-system')) continue;
    for (let up = all.get(pid)?.ppid; up !== undefined && up > 1; up = all.get(up)?.ppid) if (up === root) return pid;
  }
  return null;
}

/** utime + stime of `pid` in ms (USER_HZ is 100 on Linux x86), or null once it is gone. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}
