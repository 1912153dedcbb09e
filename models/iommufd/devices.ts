// Devices: bind, attach (an automatic domain of the IOAS, or a new one), replace and detach,
// as drivers/vfio/device_cdev.c, drivers/vfio/iommufd.c and drivers/iommu/iommufd/device.c do
// them. Existing domains are tried in the order they were added (iommufd_device_auto_get_domain);
// one that does not take the device answers EINVAL and the next is tried.
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

/** Whether `dom` takes `dev`: the same kind of IOMMU (the driver's attach_dev answers EINVAL otherwise). */
const takes = (dom: Domain, dev: Device): boolean =>
  dom.pgsizes === dev.pgsizes && dom.hwInfoType === dev.hwInfoType
  && dom.aperture.start === dev.aperture.start && dom.aperture.last === dev.aperture.last;

const blocked = (ioas: Ioas, rs: readonly Reserved[]): boolean => rs.some((r) => ioas.blocksReserve(r.start, r.end));

export function bind(ctx: Context, d: number): Refusal | null {
  const dev = ctx.devices[d]!;
  if (dev.bound) return refuse('EINVAL', 'IOMMUFD-BIND');
  dev.bound = true;
  return null;
}

/**
 * Adds a new domain for `dev` to `ioas` (io_pagetable.c: iopt_table_add_domain): the alignment
 * checks, the aperture's reservations, then the fill when it is the IOAS's first domain.
 */
function addDomain(ctx: Context, ioas: Ioas, dev: Device, group: number): Domain | Refusal {
  const page = lowestBit(dev.pgsizes);
  const align = page > ioas.alignment ? page : ioas.alignment;
  if (align > PAGE_SIZE) return refuse('EINVAL', 'IOMMUFD-ATTACH-ALIGN');
  if (align !== ioas.alignment) {
    const mask = align - 1n;
    if (ioas.areaList().some((a) => (a.iova & mask) !== 0n || (a.length & mask) !== 0n || ((a.startByte % PAGE_SIZE) & mask) !== 0n)) {
      return refuse('EADDRINUSE', 'IOMMUFD-ATTACH-ALIGN');
    }
  }
  const dom: Domain = { id: ctx.nextDomainId++, pgsizes: dev.pgsizes, aperture: dev.aperture, hwInfoType: dev.hwInfoType, groups: new Set([group]) };
  const aperture = apertureReservations(dom);
  if (blocked(ioas, aperture)) return refuse('EADDRINUSE', 'IOMMUFD-ATTACH-CONFLICT');
  const first = ioas.domains.size === 0;
  ioas.domains.set(dom.id, dom);
  const err = first ? ctx.fill(ioas.areaList()) : null;
  if (err) {
    ioas.domains.delete(dom.id);
    return refuse(err, 'IOMMUFD-ATTACH-FILL');
  }
  ioas.reserved.push(...aperture);
  return dom;
}

/** `group` leaves `dom` of `ioas`; the domain goes with its last group, and the pins only it held. */
function leaveDomain(ctx: Context, ioas: Ioas, dom: Domain, group: number): void {
  dom.groups.delete(group);
  if (dom.groups.size > 0) return;
  ioas.domains.delete(dom.id);
  ioas.removeReserved(`dom:${dom.id}`);
  ctx.refresh(new Set(ioas.areaList().map((a) => a.pages)));
}

const domainOf = (ioas: Ioas, group: number): Domain => [...ioas.domains.values()].find((x) => x.groups.has(group))!;

/** VFIO_DEVICE_ATTACH_IOMMUFD_PT with an IOAS: attach, or replace when attached. */
export function attach(ctx: Context, d: number, target: Ioas): Refusal | null {
  const dev = ctx.devices[d]!;
  const decl = ctx.info.devices[d]!;
  if (dev.ioas) return replace(ctx, d, target);
  const where = ctx.groupIoas(decl.group);
  if (where && where !== target) return refuse('EINVAL', 'IOMMUFD-ATTACH-GROUP');
  // iommufd_hw_pagetable_attach reserves the device's regions before anything else.
  const own = deviceReservations(decl, d);
  if (blocked(target, own)) return refuse('EADDRINUSE', 'IOMMUFD-ATTACH-CONFLICT');
  if (!where) {
    const shared = [...target.domains.values()].find((x) => takes(x, decl));
    if (shared) shared.groups.add(decl.group);
    else {
      const dom = addDomain(ctx, target, decl, decl.group);
      if ('errno' in dom) return dom;
    }
  }
  target.reserved.push(...own);
  dev.ioas = target;
  return null;
}

/**
 * iommufd_device_replace: the whole group moves. Each domain of the target is tried in turn:
 * the group's own is a no-op; for another, the group's regions are reserved in the target
 * (when it is a different IOAS) and the domain is taken if it takes the device. With no taker,
 * a new domain is added (and filled) before the group's regions are reserved. Linux's error
 * path also drops the regions from the IOAS they are attached to when a domain of that same
 * IOAS refuses the device; the model keeps them (IOMMUFD-ATTACH-REPLACE, variant).
 */
function replace(ctx: Context, d: number, target: Ioas): Refusal | null {
  const current = ctx.devices[d]!.ioas!;
  const decl = ctx.info.devices[d]!;
  const group = decl.group;
  const members = ctx.devices.flatMap((m, i) => (m.ioas && ctx.info.devices[i]!.group === group ? [i] : []));
  const own = members.flatMap((i) => deviceReservations(ctx.info.devices[i]!, i));
  const old = domainOf(current, group);
  const moveTo = (dom: Domain): null => {
    if (target !== current) {
      target.reserved.push(...own);
      for (const i of members) {
        current.removeReserved(`dev:${i}`);
        ctx.devices[i]!.ioas = target;
      }
    }
    dom.groups.add(group);
    leaveDomain(ctx, current, old, group);
    return null;
  };
  for (const dom of [...target.domains.values()]) {
    if (dom === old) return null;
    if (target !== current && blocked(target, own)) return refuse('EADDRINUSE', 'IOMMUFD-ATTACH-CONFLICT');
    if (takes(dom, decl)) return moveTo(dom);
  }
  const dom = addDomain(ctx, target, decl, group);
  if ('errno' in dom) return dom;
  dom.groups.delete(group);
  if (blocked(target, own)) {
    leaveDomain(ctx, target, dom, group);
    return refuse('EADDRINUSE', 'IOMMUFD-ATTACH-CONFLICT');
  }
  return moveTo(dom);
}

/** VFIO_DEVICE_DETACH_IOMMUFD_PT; a bound device that is not attached is left as it is. */
export function detach(ctx: Context, d: number): Refusal | null {
  const dev = ctx.devices[d]!;
  if (!dev.bound) return refuse('EINVAL', 'IOMMUFD-BIND');
  const ioas = dev.ioas;
  if (!ioas) return null;
  const group = ctx.info.devices[d]!.group;
  const dom = domainOf(ioas, group);
  ioas.removeReserved(`dev:${d}`);
  dev.ioas = null;
  if (ctx.groupIoas(group) !== ioas) leaveDomain(ctx, ioas, dom, group);
  return null;
}
