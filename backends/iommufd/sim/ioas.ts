// The IOAS ioctls (drivers/iommu/iommufd/ioas.c), each checking its arguments in the kernel's
// order: flags (EOPNOTSUPP), u64 values of ULONG_MAX (EOVERFLOW), permission (EINVAL), then the
// object (ENOENT), then io_pagetable.c.
import { MAP_FLAG, type Errno, type IoasHandle, type IovaRange, type OpOf } from '../../../spec/iommufd/ops.ts';
import { U64_MAX } from '../../type1/sim/constants.ts';
import type { Context } from './context.ts';
import { IoptPages } from './pages.ts';
import { hasBug } from './policy.ts';

const KNOWN_FLAGS = MAP_FLAG.FIXED_IOVA | MAP_FLAG.WRITEABLE | MAP_FLAG.READABLE;
const PERMISSION = MAP_FLAG.WRITEABLE | MAP_FLAG.READABLE;

/** iommufd_ioas_map: returns the iova written back. */
export function map(ctx: Context, op: OpOf<'map'>): bigint | Errno {
  if ((op.flags & ~KNOWN_FLAGS) !== 0) return 'EOPNOTSUPP';
  if (op.iova >= U64_MAX || op.length >= U64_MAX) return 'EOVERFLOW';
  if ((op.flags & PERMISSION) === 0) return 'EINVAL';
  const ioas = ctx.ioas(op.ioas);
  if (ioas === 'ENOENT') return ioas;
  // iopt_map_user_pages -> iopt_alloc_pages
  if (op.length > U64_MAX - 0x1000n || op.length === 0n) return 'EINVAL';
  if (op.vaddr + op.length > U64_MAX) return 'EOVERFLOW';
  let mode = ctx.host.modeAtMap();
  if (ctx.accountMode === 'mm' && mode === 'user') mode = 'mm';
  const pages = new IoptPages(op.vaddr, op.length, (op.flags & MAP_FLAG.WRITEABLE) !== 0, mode);
  const fixed = (op.flags & MAP_FLAG.FIXED_IOVA) !== 0 ? op.iova : undefined;
  return ioas.iopt.mapPages([{ pages, startByte: op.vaddr - pages.uptr, length: op.length }], op.length, fixed,
    (op.flags & MAP_FLAG.READABLE) !== 0, (op.flags & MAP_FLAG.WRITEABLE) !== 0);
}

/** iommufd_ioas_copy: the destination areas share the source's iopt_pages. */
export function copy(ctx: Context, op: OpOf<'copy'>): bigint | Errno {
  if ((op.flags & ~KNOWN_FLAGS) !== 0) return 'EOPNOTSUPP';
  if (op.length >= U64_MAX || op.srcIova >= U64_MAX || op.dstIova >= U64_MAX) return 'EOVERFLOW';
  if ((op.flags & PERMISSION) === 0) return 'EINVAL';
  const src = ctx.ioas(op.srcIoas);
  if (src === 'ENOENT') return src;
  let slices = src.iopt.getPages(op.srcIova, op.length);
  if (typeof slices === 'string') return slices;
  const dst = ctx.ioas(op.dstIoas);
  if (dst === 'ENOENT') return dst;
  // mutant copy-charges-again: each slice gets iopt_pages of its own over the same user VA.
  if (hasBug(ctx.policy, 'copy-charges-again')) {
    slices = slices.map((s) => {
      const vaddr = s.pages.uptr + s.startByte;
      const pages = new IoptPages(vaddr, s.length, s.pages.writable, s.pages.accountMode);
      return { pages, startByte: vaddr - pages.uptr, length: s.length };
    });
  }
  const fixed = (op.flags & MAP_FLAG.FIXED_IOVA) !== 0 ? op.dstIova : undefined;
  return dst.iopt.mapPages(slices, op.length, fixed, (op.flags & MAP_FLAG.READABLE) !== 0, (op.flags & MAP_FLAG.WRITEABLE) !== 0);
}

/** iommufd_ioas_unmap: returns the bytes unmapped. */
export function unmap(ctx: Context, op: OpOf<'unmap'>): bigint | Errno {
  const ioas = ctx.ioas(op.ioas);
  if (ioas === 'ENOENT') return ioas;
  if (op.iova === 0n && op.length === U64_MAX) {
    const r = ioas.iopt.unmapAll();
    return r.errno ?? r.unmapped;
  }
  if (op.iova >= U64_MAX || op.length >= U64_MAX) return 'EOVERFLOW';
  // iopt_unmap_iova
  if (op.length === 0n) return 'EINVAL';
  if (op.iova + op.length - 1n > U64_MAX) return 'EOVERFLOW';
  const r = ioas.iopt.unmapRange(op.iova, op.iova + op.length - 1n);
  if (r.errno !== undefined) return r.errno;
  return r.unmapped === 0n ? 'ENOENT' : r.unmapped;
}

/** iommufd_ioas_allow_iovas: each range start < last, none overlapping another (EINVAL). */
export function allowIovas(ctx: Context, handle: IoasHandle, ranges: readonly IovaRange[]): Errno | undefined {
  const ioas = ctx.ioas(handle);
  if (ioas === 'ENOENT') return ioas;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    if (r.start >= r.last) return 'EINVAL';
    if (ranges.slice(0, i).some((p) => p.start <= r.last && r.start <= p.last)) return 'EINVAL';
  }
  return ioas.iopt.setAllowed(ranges);
}

/** IOMMU_DESTROY of an IOAS: EBUSY while a domain holds it (iommufd_object_remove). */
export function destroy(ctx: Context, handle: IoasHandle): Errno | undefined {
  const obj = ctx.ioas(handle);
  if (obj === 'ENOENT') return obj;
  // mutant destroy-attached: the domains' references are not counted.
  if (obj.hwpts.length > 0 && !hasBug(ctx.policy, 'destroy-attached')) return 'EBUSY';
  obj.iopt.unmapAll();
  ctx.objects.remove(obj.id);
  ctx.forget(obj.id);
  return undefined;
}

/** IOMMU_OPTION RLIMIT_MODE SET (ioas.c: iommufd_option_rlimit_mode): any object makes it EBUSY. */
export function setRlimitMode(ctx: Context, value: bigint): Errno | undefined {
  // mutant rlimit-mode-busy-ignored: the objects are not looked at.
  if (!ctx.objects.isEmpty && !hasBug(ctx.policy, 'rlimit-mode-busy-ignored')) return 'EBUSY';
  if (value === 0n) ctx.accountMode = 'user';
  else if (value === 1n) ctx.accountMode = 'mm';
  else return 'EINVAL';
  return undefined;
}
