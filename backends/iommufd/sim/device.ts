// The VFIO device cdev's iommufd ioctls (drivers/vfio/device_cdev.c, drivers/vfio/iommufd.c) and
// what they do in iommufd (drivers/iommu/iommufd/device.c, hw_pagetable.c): bind, attach to an
// IOAS through an automatic domain (an existing compatible one of the IOAS, or a new one),
// replace, detach.
import type { Errno, IoasHandle } from '../../../spec/iommufd/ops.ts';
import type { Context } from './context.ts';
import { Domain } from './domain.ts';
import type { DeviceObject, HwptObject, IoasObject } from './objects.ts';
import { hasBug } from './policy.ts';

/** VFIO_DEVICE_BIND_IOMMUFD: a device is bound once (vfio_df_open: EINVAL). */
export function bind(ctx: Context, index: number): Errno | undefined {
  const decl = ctx.decls[index];
  if (decl === undefined || ctx.bound[index] !== null) return 'EINVAL';
  let igroup = ctx.groups.get(decl.group);
  if (igroup === undefined) ctx.groups.set(decl.group, (igroup = { group: decl.group, hwpt: null, attached: [], refs: 0 }));
  igroup.refs++;
  ctx.bound[index] = ctx.objects.alloc((id) => ({ type: 'device' as const, id, index, decl, igroup, attached: false }));
  ctx.stale.delete(index);
  return undefined;
}

/** Devices attached through `hwpt`: its users besides the object itself. */
const users = (ctx: Context, hwpt: HwptObject): number =>
  [...ctx.groups.values()].reduce((n, g) => n + (g.hwpt === hwpt ? g.attached.length : 0), 0);

/** iommufd_hw_pagetable_put of an automatic domain: the last user gone, it leaves its IOAS. */
function put(ctx: Context, hwpt: HwptObject): void {
  if (users(ctx, hwpt) > 0) return;
  hwpt.ioas.hwpts.splice(hwpt.ioas.hwpts.indexOf(hwpt), 1);
  hwpt.ioas.iopt.removeDomain(hwpt.domain);
  ctx.objects.remove(hwpt.id);
}

/**
 * iommufd_hw_pagetable_attach: the group must not be attached elsewhere (EINVAL), the device's
 * reserved regions are reserved in the IOAS (EADDRINUSE), and the first device of the group
 * attaches the group to the domain, which fails EINVAL for a device behind another IOMMU.
 */
function hwptAttach(ctx: Context, hwpt: HwptObject, idev: DeviceObject): Errno | undefined {
  const ig = idev.igroup;
  if (ig.hwpt !== null && ig.hwpt !== hwpt) return 'EINVAL';
  const err = hwpt.ioas.iopt.enforceDeviceRegions(idev.decl, idev);
  if (err !== undefined) return err;
  if (ig.attached.length === 0) {
    if (!hwpt.domain.compatible(idev.decl)) {
      hwpt.ioas.iopt.removeReserved(idev);
      return 'EINVAL';
    }
    ig.hwpt = hwpt;
  }
  ig.attached.push(idev);
  return undefined;
}

/** iommufd_hw_pagetable_detach. `keepReserved`: mutant attach-conflict-keeps-reservation. */
function hwptDetach(idev: DeviceObject, keepReserved = false): HwptObject {
  const ig = idev.igroup;
  const hwpt = ig.hwpt!;
  ig.attached.splice(ig.attached.indexOf(idev), 1);
  if (ig.attached.length === 0) ig.hwpt = null;
  if (!keepReserved) hwpt.ioas.iopt.removeReserved(idev);
  return hwpt;
}

/** iommufd_hwpt_paging_alloc: a new automatic domain for `idev`, added to the IOAS (filled). */
function newHwpt(ctx: Context, ioas: IoasObject, idev: DeviceObject, immediate: boolean): HwptObject | Errno {
  const hwpt = ctx.objects.alloc((id) => ({ type: 'hwpt' as const, id, ioas, domain: new Domain(idev.decl) }));
  if (immediate) {
    const err = hwptAttach(ctx, hwpt, idev);
    if (err !== undefined) {
      ctx.objects.remove(hwpt.id);
      return err;
    }
  }
  const err = ioas.iopt.addDomain(hwpt.domain);
  if (err !== undefined) {
    // mutant attach-conflict-keeps-reservation: the device's regions stay reserved.
    if (immediate) hwptDetach(idev, hasBug(ctx.policy, 'attach-conflict-keeps-reservation'));
    ctx.objects.remove(hwpt.id);
    return err;
  }
  ioas.hwpts.push(hwpt);
  return hwpt;
}

/**
 * iommufd_device_do_replace: the whole group moves to `hwpt`; the devices' reserved regions
 * move to its IOAS. Returns the hwpt left behind, or null when nothing changed.
 */
function doReplace(ctx: Context, idev: DeviceObject, hwpt: HwptObject): HwptObject | null | Errno {
  const ig = idev.igroup;
  if (ig.hwpt === null || !ig.attached.includes(idev)) return 'EINVAL';
  if (hwpt === ig.hwpt) return null;
  const old = ig.hwpt;
  // err_unresv (iommufd_group_remove_reserved_iova) drops the group's regions from the new
  // hwpt's IOAS, also when that is the IOAS they are attached to.
  const unreserve = (): void => {
    for (const cur of ig.attached) hwpt.ioas.iopt.removeReserved(cur);
  };
  if (old.ioas !== hwpt.ioas) {
    for (const cur of ig.attached) {
      const err = hwpt.ioas.iopt.enforceDeviceRegions(cur.decl, cur);
      if (err !== undefined) {
        unreserve();
        return err;
      }
    }
  }
  if (!hwpt.domain.compatible(idev.decl)) {
    unreserve();
    return 'EINVAL';
  }
  if (old.ioas !== hwpt.ioas) for (const cur of ig.attached) old.ioas.iopt.removeReserved(cur);
  ig.hwpt = hwpt;
  return old;
}

/**
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT with an IOAS id (vfio_iommufd_physical_attach_ioas): attach, or
 * replace for an attached device (iommufd_device_auto_get_domain). An existing automatic domain
 * that refuses the device with EINVAL is skipped; any other error ends the attach.
 */
export function attach(ctx: Context, index: number, handle: IoasHandle): Errno | undefined {
  const idev = ctx.bound[index];
  if (idev === undefined || idev === null) return 'EINVAL';
  const ioas = ctx.ioas(handle);
  if (ioas === 'ENOENT') return ioas;
  for (const hwpt of [...ioas.hwpts]) {
    if (!idev.attached) {
      const err = hwptAttach(ctx, hwpt, idev);
      if (err === 'EINVAL') continue;
      if (err !== undefined) return err;
      idev.attached = true;
      return undefined;
    }
    const old = doReplace(ctx, idev, hwpt);
    if (old === 'EINVAL') continue;
    if (typeof old === 'string') return old;
    if (old !== null) put(ctx, old);
    return undefined;
  }
  if (!idev.attached) {
    const hwpt = newHwpt(ctx, ioas, idev, true);
    if (typeof hwpt === 'string') return hwpt;
    idev.attached = true;
    return undefined;
  }
  const hwpt = newHwpt(ctx, ioas, idev, false);
  if (typeof hwpt === 'string') return hwpt;
  const old = doReplace(ctx, idev, hwpt);
  if (typeof old === 'string') {
    put(ctx, hwpt);
    return old;
  }
  if (old !== null) put(ctx, old);
  return undefined;
}

/** VFIO_DEVICE_DETACH_IOMMUFD_PT: a bound device that is not attached succeeds unchanged. */
export function detach(ctx: Context, index: number): Errno | undefined {
  const idev = ctx.bound[index];
  if (idev === undefined || idev === null) return 'EINVAL';
  if (!idev.attached) return undefined;
  const hwpt = hwptDetach(idev);
  idev.attached = false;
  // mutant detach-stale: the device keeps translating through the domain it left.
  if (hasBug(ctx.policy, 'detach-stale')) ctx.stale.set(index, hwpt.domain);
  put(ctx, hwpt);
  return undefined;
}

/** Closing the device fd (vfio_iommufd_physical_unbind): detach, then unbind. */
export function unbind(ctx: Context, index: number): void {
  const idev = ctx.bound[index];
  if (idev === undefined || idev === null) return;
  detach(ctx, index);
  ctx.objects.remove(idev.id);
  ctx.bound[index] = null;
  if (--idev.igroup.refs === 0) ctx.groups.delete(idev.igroup.group);
}
