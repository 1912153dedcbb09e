// The sPAPR family's C reproducer: one sPAPR TCE container per IOMMU group named on the command
// line (repro/c/spapr.c), each operation the ioctl or syscall it stands for.
import type { ReproCase, Reproducer } from '../../spec/family.ts';
import { formatOp, formatResult } from '../../spec/spapr/format.ts';
import type { Op, Result, ResultOf } from '../../spec/spapr/ops.ts';
import { emitC, hostCall, u64, type FamilyC } from '../repro-c.ts';

type Ok<K extends Op['op']> = ResultOf<K> & { ok: true };
type Case = ReproCase<Op, Result>;

const iommuType = (c: Case): string => (c.profile === 'spapr-v1' ? 'VFIO_SPAPR_TCE_IOMMU' : 'VFIO_SPAPR_TCE_v2_IOMMU');

/** The containers a case opens: up to the highest one it names (each needs a group). */
const containersOf = (c: Case): number =>
  1 + c.steps.reduce((n, s) => ('ct' in s.op && s.op.ct > n ? s.op.ct : n), 0);

function refusal(op: Op): string | null {
  if ('proc' in op && op.proc !== 0) return 'process 1 (a forked sharer of the containers) is not reproduced';
  switch (op.op) {
    case 'mmap': return op.backing === 'mmio' ? 'mmio memory (a device BAR slice) is not reproduced' : null;
    case 'dmaRead': case 'dmaWrite': return 'device DMA is not reproduced';
    default: return null;
  }
}

function call(op: Op, c: Case): string {
  const host = hostCall(op);
  if (host) return host;
  switch (op.op) {
    case 'enable': case 'disable': return `sp_enable(&r, ${op.ct}, ${op.op === 'enable' ? 1 : 0});`;
    case 'register': case 'unregister':
      return `sp_register(&r, ${op.ct}, ${op.op === 'register' ? 1 : 0}, ${op.flags}, ${u64(op.vaddr)}, ${u64(op.size)});`;
    case 'getInfo': return `sp_get_info(&r, ${op.ct});`;
    case 'create': return `sp_create(&r, ${op.ct}, ${op.flags}, ${op.pageShift}, ${u64(op.windowSize)}, ${op.levels});`;
    case 'remove': return `sp_remove(&r, ${op.ct}, ${op.flags}, ${u64(op.startAddr)});`;
    case 'map': return `if (sp_map(&r, ${op.ct}, ${op.flags}, ${u64(op.iova)}, ${u64(op.vaddr)}, ${u64(op.size)}) < 0) return 2;`;
    case 'unmap': return `sp_unmap(&r, ${op.ct}, ${op.flags}, ${u64(op.iova)}, ${u64(op.size)});`;
    case 'closeContainer': return `if (sp_close_container(&r, ${op.ct}, ${iommuType(c)})) return 2;`;
    case 'counters': return 'sp_counters(&r);';
    default: throw new Error(`${op.op} is refused`);
  }
}

/** The values of a successful answer, in the slots repro/c/spapr.c fills. */
function values(op: Op, result: Result): string[] {
  switch (op.op) {
    case 'cpuRead': return [`r.v[0] == ${u64((result as Ok<'cpuRead'>).token)}`];
    case 'create': return [`r.v[0] == ${u64((result as Ok<'create'>).startAddr)}`];
    case 'counters': return [`r.v[0] == ${u64((result as Ok<'counters'>).lockedVm[0]!)}`];
    case 'getInfo': {
      const g = result as Ok<'getInfo'>;
      const ddw = g.ddw ? [u64(g.ddw.pgsizes), u64((BigInt(g.ddw.maxDynamicWindows) << 32n) | BigInt(g.ddw.levels))] : ['0', '0'];
      return [`r.v[0] == ${u64(g.dma32WindowStart)}`, `r.v[1] == ${u64(g.dma32WindowSize)}`, `r.v[2] == ${ddw[0]}`, `r.v[3] == ${ddw[1]}`];
    }
    default: return [];
  }
}

const spaprC: FamilyC<Op, Result> = {
  runtime: 'spapr.c',
  // the sPAPR reset: unlimited RLIMIT_MEMLOCK, no CAP_IPC_LOCK (spec/spapr/backend.ts)
  open: (c) => `\tif (sp_open(${containersOf(c)}, ${iommuType(c)}) || host_fresh(0)) return 2;`,
  refusal,
  call,
  values,
  formatOp,
  formatResult,
};

export const spaprReproducer: Reproducer<Op, Result> = {
  language: 'c',
  usage: '--group N [--group N]...',
  emit: (cases) => emitC(spaprC, 'vfio-conform reproducer, family spapr (VFIO sPAPR TCE containers)', cases),
};
