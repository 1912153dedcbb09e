// The type1 family's C reproducer: a VFIO container with the group and device named on the
// command line (repro/c/type1.c), each operation the ioctl or syscall it stands for.
import { readFileSync } from 'node:fs';
import type { ReproCase, Reproducer } from '../../spec/family.ts';
import { formatOp, formatResult } from '../../spec/type1/format.ts';
import type { Op, Result, ResultOf } from '../../spec/type1/ops.ts';
import { emitC, hostCall, u64, type FamilyC } from '../repro-c.ts';

/** v1 and v2 as the container type SET_IOMMU takes; a compat container takes the same ones. */
const iommuType = (profile: string): string => (profile.startsWith('type1v1') ? 'VFIO_TYPE1_IOMMU' : 'VFIO_TYPE1v2_IOMMU');

/** Why the program cannot perform `op`, or null. */
function refusal(op: Op): string | null {
  if ('proc' in op && op.proc !== 0) return 'process 1 (a forked sharer of the container) is not reproduced';
  switch (op.op) {
    case 'mmap': return op.backing === 'mmio' ? 'mmio memory (a device BAR slice) is not reproduced' : null;
    case 'dmaRead': case 'dmaWrite': return 'device DMA is not reproduced';
    case 'dumpMappings': return 'no kernel interface lists the IOMMU mappings';
    default: return null;
  }
}

function call(op: Op, c: ReproCase<Op, Result>): string {
  const host = hostCall(op);
  if (host) return host;
  switch (op.op) {
    case 'map': return `t1_map(&r, ${op.flags}, ${u64(op.iova)}, ${u64(op.vaddr)}, ${u64(op.size)});`;
    case 'unmap': return `t1_unmap(&r, ${op.flags}, ${u64(op.iova)}, ${u64(op.size)});`;
    case 'getInfo': return 't1_get_info(&r);';
    case 'dirtyPages': return `t1_dirty_pages(&r, ${op.flags});`;
    case 'migrationInfo': return 't1_migration_info(&r);';
    case 'closeContainer': return `if (t1_close_container(&r, ${iommuType(c.profile)})) return 2;`;
    case 'counters': return 't1_counters(&r);';
    default: throw new Error(`${op.op} is refused`);
  }
}

/** The values of a successful answer, in the slots repro/c/type1.c fills. */
function values(op: Op, result: Result): string[] {
  switch (op.op) {
    case 'cpuRead': return [`r.v[0] == ${u64((result as ResultOf<'cpuRead'> & { ok: true }).token)}`];
    case 'unmap': return [`r.v[0] == ${u64((result as ResultOf<'unmap'> & { ok: true }).unmapped)}`];
    case 'counters': return [`r.v[0] == ${u64((result as ResultOf<'counters'> & { ok: true }).lockedVm[0]!)}`];
    case 'getInfo': {
      const g = result as ResultOf<'getInfo'> & { ok: true };
      return [`r.v[0] == ${u64(g.pgsizes)}`, `r.v[1] == ${u64(g.dmaAvail)}`, `r.nranges == ${g.iovaRanges.length}`,
        ...g.iovaRanges.flatMap((x, i) => [`r.ranges[${i}][0] == ${u64(x.start)}`, `r.ranges[${i}][1] == ${u64(x.end)}`])];
    }
    case 'migrationInfo': {
      const m = result as ResultOf<'migrationInfo'> & { ok: true };
      return [`r.v[0] == ${m.present ? 1 : 0}`, `r.v[1] == ${u64(m.pgsizes)}`, `r.v[2] == ${u64(m.maxDirtyBitmapSize)}`];
    }
    default: return [];
  }
}

/** GET_INFO's capability chain, walked as the agent walks it. */
const VFIO_CAP = new URL('../../kernel/agent/vfio-cap.h', import.meta.url);

const type1C: FamilyC<Op, Result> = {
  runtime: 'type1.c',
  prelude: () => readFileSync(VFIO_CAP, 'utf8'),
  // type1's reset: no CAP_IPC_LOCK (spec/type1/backend.ts)
  open: (c) => `\tif (t1_open(${iommuType(c.profile)}) || host_fresh(0)) return 2;`,
  refusal,
  call,
  values,
  formatOp,
  formatResult,
};

export const type1Reproducer: Reproducer<Op, Result> = {
  language: 'c',
  usage: '--group N --device BDF',
  emit: (cases) => emitC(type1C, 'vfio-conform reproducer, family type1 (VFIO type1 container)', cases),
};
