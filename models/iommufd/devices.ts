// Devices: bind, attach (an automatic domain per group and IOAS), replace and detach, as
// drivers/vfio/device_cdev.c, drivers/vfio/iommufd.c and drivers/iommu/iommufd/device.c do them.
import type { Device } from '../../spec/iommufd/backend.ts';
import type { Errno } from '../../spec/iommufd/ops.ts';
import type { RuleId } from '../../spec/iommufd/rules.ts';
import { PAGE_SIZE } from '../host.ts';
import { apertureReservations, lowestBit, type Domain, type Ioas, type Reserved } from './ioas.ts';
import type { Context } from './state.ts';

/** A failed operation: its errno and the rule that decides it. */
export interface Refusal { errno: Errno; rule: RuleId }

const refuse = (errno: Errno, rule: RuleId): Refusal => ({ errno, rule });

/** A device's reserved regions as reservations of the IOAS it attaches to (iopt_table_enforce_dev_resv_regions). */
const deviceReservations = (dev: Device, index: number): Reserved[] =>
  dev.reserved.map((r) => ({ start: r.start, end: r.last + 1n, owner: `dev:${index}` }));

const domainOf = (dev: Device): Domain => ({ group: dev.group, pgsizes: dev.pgsizes, aperture: dev.aperture });

const blocked = (ioas: Ioas, rs: readonly Reserved[]): boolean => rs.some((r) => ioas.blocksReserve(r.start, r.end));

export function bind(ctx: Context, d: number): Refusal | null {
  const dev = ctx.devices[d]!;
  if (dev.bound) return refuse('EINVAL', 'IOMMUFD-BIND');
  dev.bound = true;
  return null;
}

/**
 * Adds a new domain to `ioas` (io_pagetable.c: iopt_table_add_domain): the alignment checks,
 * the aperture's reservations, then the fill when it is the IOAS's first domain.
 */
function addDomain(ctx: Context, ioas: Ioas, dom: Domain): Refusal | null {
  const page = lowestBit(dom.pgsizes);
  const align = page > ioas.alignment ? page : ioas.alignment;
  if (align > PAGE_SIZE) return refuse('EINVAL', 'IOMMUFD-ATTACH-ALIGN');
  if (align !== ioas.alignment) {
    const mask = align - 1n;
    if (ioas.areaList().some((a) => (a.iova & mask) !== 0n || (a.length & mask) !== 0n || ((a.startByte % PAGE_SIZE) & mask) !== 0n)) {
      return refuse('EADDRINUSE', 'IOMMUFD-ATTACH-ALIGN');
    }
  }
  const aperture = apertureReservations(dom);
  if (blocked(ioas, aperture)) return refuse('EADDRINUSE', 'IOMMUFD-ATTACH-CONFLICT');
  const first = ioas.domains.size === 0;
  ioas.domains.set(dom.group, dom);
  const err = first ? ctx.fill(ioas.areaList()) : null;
  if (err) {
    ioas.domains.delete(dom.group);
    return refuse(err, 'IOMMUFD-ATTACH-FILL');
  }
  ioas.reserved.push(...aperture);
  return null;
}

/** The domain of `group` leaves `ioas`: its aperture reservations go, and pins no other domain holds. */
function removeDomain(ctx: Context, ioas: Ioas, group: number): void {
  ioas.domains.delete(group);
  ioas.removeReserved(`dom:${group}`);
  ctx.refresh(new Set(ioas.areaList().map((a) => a.pages)));
}

/** VFIO_DEVICE_ATTACH_IOMMUFD_PT with an IOAS: attach, or replace when attached. */
export function attach(ctx: Context, d: number, target: Ioas): Refusal | null {
  const dev = ctx.devices[d]!;
  const decl = ctx.info.devices[d]!;
  if (dev.ioas) return replace(ctx, d, target);
  const where = ctx.groupIoas(decl.group);
  if (where && where !== target) return refuse('EINVAL', 'IOMMUFD-ATTACH-GROUP');
  // iommufd_hw_pagetable_attach reserves the device's regions before a new domain is added.
  const own = deviceReservations(decl, d);
  if (blocked(target, own)) return refuse('EADDRINUSE', 'IOMMUFD-ATTACH-CONFLICT');
  if (!target.domains.has(decl.group)) {
    const err = addDomain(ctx, target, domainOf(decl));
    if (err) return err;
  }
  target.reserved.push(...own);
  dev.ioas = target;
  return null;
}

/**
 * iommufd_device_replace: the whole group moves. Domains already in the target are tried
 * first, which reserves the group's regions before anything else; with none, the new domain is
 * added (and filled) before the regions are reserved, and removed again if they conflict.
 */
function replace(ctx: Context, d: number, target: Ioas): Refusal | null {
  const current = ctx.devices[d]!.ioas!;
  if (current === target) return null;
  const decl = ctx.info.devices[d]!;
  const members = ctx.devices.flatMap((m, i) => (m.ioas && ctx.info.devices[i]!.group === decl.group ? [i] : []));
  const own = members.flatMap((i) => deviceReservations(ctx.info.devices[i]!, i));
  const conflict = blocked(target, own);
  if (conflict && target.domains.size > 0) return refuse('EADDRINUSE', 'IOMMUFD-ATTACH-CONFLICT');
  const err = addDomain(ctx, target, domainOf(decl));
  if (err) return err;
  if (conflict) {
    removeDomain(ctx, target, decl.group);
    return refuse('EADDRINUSE', 'IOMMUFD-ATTACH-CONFLICT');
  }
  target.reserved.push(...own);
  for (const i of members) {
    current.removeReserved(`dev:${i}`);
    ctx.devices[i]!.ioas = target;
  }
  removeDomain(ctx, current, decl.group);
  return null;
}

/** VFIO_DEVICE_DETACH_IOMMUFD_PT; a bound device that is not attached is left as it is. */
export function detach(ctx: Context, d: number): Refusal | null {
  const dev = ctx.devices[d]!;
  if (!dev.bound) return refuse('EINVAL', 'IOMMUFD-BIND');
  const ioas = dev.ioas;
  if (!ioas) return null;
  const group = ctx.info.devices[d]!.group;
  ioas.removeReserved(`dev:${d}`);
  dev.ioas = null;
  if (ctx.groupIoas(group) !== ioas) removeDomain(ctx, ioas, group);
  return null;
}
