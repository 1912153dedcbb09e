// The iommufd family's C reproducer: /dev/iommu and the VFIO cdev named on the command line
// (repro/c/iommufd.c), each operation the ioctl or syscall it stands for.
import { readFileSync } from 'node:fs';
import type { Reproducer } from '../../spec/family.ts';
import { formatOp, formatResult } from '../../spec/iommufd/format.ts';
import type { Op, Result, ResultOf } from '../../spec/iommufd/ops.ts';
import { emitC, hostCall, u64, type FamilyC } from '../repro-c.ts';

/** The iommufd uAPI that an older linux-libc-dev lacks: the agent's declarations, the same
 *  layouts as Linux 6.12's include/uapi/linux/iommufd.h. */
const UAPI = new URL('../../kernel/agent/uapi.h', import.meta.url);

type Ok<K extends Op['op']> = ResultOf<K> & { ok: true };

function refusal(op: Op): string | null {
  if ('dev' in op && op.dev !== 0) return 'only device 0 (the one --cdev names) is reproduced';
  switch (op.op) {
    case 'mmap': return op.backing === 'mmio' ? 'mmio memory (a device BAR slice) is not reproduced' : null;
    case 'dmaRead': case 'dmaWrite': return 'device DMA is not reproduced';
    default: return null;
  }
}

function call(op: Op): string {
  const host = hostCall(op);
  if (host) return host;
  switch (op.op) {
    case 'ioasAlloc': return `fd_ioas_alloc(&r, ${op.ioas});`;
    case 'destroy': return `fd_destroy(&r, ${op.ioas});`;
    case 'map': return `fd_map(&r, ${op.ioas}, ${op.flags}, ${u64(op.iova)}, ${u64(op.vaddr)}, ${u64(op.length)});`;
    case 'unmap': return `fd_unmap(&r, ${op.ioas}, ${u64(op.iova)}, ${u64(op.length)});`;
    case 'copy': return `fd_copy(&r, ${op.dstIoas}, ${op.srcIoas}, ${op.flags}, ${u64(op.dstIova)}, ${u64(op.srcIova)}, ${u64(op.length)});`;
    case 'iovaRanges': return `fd_iova_ranges(&r, ${op.ioas});`;
    case 'allowIovas': {
      const rs = op.ranges.map((x) => `{ ${u64(x.start)}, ${u64(x.last)} }`).join(', ');
      return `{ static const uint64_t allowed[][2] = { ${rs || '{ 0, 0 }'} }; fd_allow_iovas(&r, ${op.ioas}, allowed, ${op.ranges.length}); }`;
    }
    case 'setRlimitMode': return `fd_rlimit_mode(&r, 1, ${u64(op.value)});`;
    case 'getRlimitMode': return 'fd_rlimit_mode(&r, 0, 0);';
    case 'bind': return 'fd_bind(&r);';
    case 'attach': return `fd_attach(&r, ${op.ioas});`;
    case 'detach': return 'fd_detach(&r);';
    case 'hwInfo': return 'fd_hw_info(&r);';
    case 'closeCtx': return 'if (fd_close_ctx(&r)) return 2;';
    case 'counters': return 'fd_counters(&r);';
    default: throw new Error(`${op.op} is refused`);
  }
}

function values(op: Op, result: Result): string[] {
  switch (op.op) {
    case 'cpuRead': return [`r.v[0] == ${u64((result as Ok<'cpuRead'>).token)}`];
    case 'map': return [`r.v[0] == ${u64((result as Ok<'map'>).iova)}`];
    case 'copy': return [`r.v[0] == ${u64((result as Ok<'copy'>).iova)}`];
    case 'unmap': return [`r.v[0] == ${u64((result as Ok<'unmap'>).unmapped)}`];
    case 'getRlimitMode': return [`r.v[0] == ${u64((result as Ok<'getRlimitMode'>).value)}`];
    case 'hwInfo': {
      const h = result as Ok<'hwInfo'>;
      return [`r.v[0] == ${h.dataType}`, `r.v[1] == ${u64(h.capabilities)}`];
    }
    case 'counters': {
      const k = result as Ok<'counters'>;
      return [`r.v[0] == ${u64(k.lockedVm)}`, `r.v[1] == ${u64(k.pinnedVm)}`];
    }
    case 'iovaRanges': {
      const g = result as Ok<'iovaRanges'>;
      return [`r.v[0] == ${u64(g.alignment)}`, `r.nranges == ${g.ranges.length}`,
        ...g.ranges.flatMap((x, i) => [`r.ranges[${i}][0] == ${u64(x.start)}`, `r.ranges[${i}][1] == ${u64(x.last)}`])];
    }
    default: return [];
  }
}

const iommufdC: FamilyC<Op, Result> = {
  runtime: 'iommufd.c',
  prelude: () => readFileSync(UAPI, 'utf8'),
  // iommufd's reset: CAP_IPC_LOCK held (spec/iommufd/backend.ts)
  open: () => '\tif (fd_open() || host_fresh(1)) return 2;',
  refusal,
  call,
  values,
  formatOp,
  formatResult,
};

export const iommufdReproducer: Reproducer<Op, Result> = {
  language: 'c',
  usage: '--cdev /dev/vfio/devices/vfioN',
  emit: (cases) => emitC(iommufdC, 'vfio-conform reproducer, family iommufd (IOAS and VFIO device cdev)', cases),
};
