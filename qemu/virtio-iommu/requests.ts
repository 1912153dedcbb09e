// The virtio-iommu requests (virtio specification, "IOMMU Device", Device operations) as the
// bytes the driver puts on the request queue, and the status the device writes in their tail.
// Every request is `head` + its fields (driver-readable), then `tail` (device-writable). PROBE
// is not sent: nothing here needs an endpoint's reserved regions.
import type { Errno, Perm } from '../../spec/viommu/ops.ts';

export const T_ATTACH = 1;
export const T_DETACH = 2;
export const T_MAP = 3;
export const T_UNMAP = 4;

export const MAP_F_READ = 1;
export const MAP_F_WRITE = 2;

export const STATUS_NAMES = ['OK', 'IOERR', 'UNSUPP', 'DEVERR', 'INVAL', 'RANGE', 'NOENT', 'FAULT', 'NOMEM'] as const;
export const S_OK = 0;

export interface Request { body: Uint8Array; writable: number; what: string }

function bytes(size: number, fill: (v: DataView) => void): Uint8Array {
  const b = new Uint8Array(size);
  fill(new DataView(b.buffer));
  return b;
}

const hex = (v: bigint | number) => '0x' + v.toString(16);

export function attach(domain: number, endpoint: number): Request {
  const body = bytes(20, (v) => { v.setUint8(0, T_ATTACH); v.setUint32(4, domain, true); v.setUint32(8, endpoint, true); });
  return { body, writable: 4, what: `ATTACH domain ${domain} endpoint ${hex(endpoint)}` };
}

export function detach(domain: number, endpoint: number): Request {
  const body = bytes(20, (v) => { v.setUint8(0, T_DETACH); v.setUint32(4, domain, true); v.setUint32(8, endpoint, true); });
  return { body, writable: 4, what: `DETACH domain ${domain} endpoint ${hex(endpoint)}` };
}

export const mapFlags = (perm: Perm): number => (perm === 'r' || perm === 'rw' ? MAP_F_READ : 0) | (perm === 'w' || perm === 'rw' ? MAP_F_WRITE : 0);

/** MAP [virtStart, virtEnd] (inclusive, as on the wire) to physStart onwards. */
export function map(domain: number, virtStart: bigint, virtEnd: bigint, physStart: bigint, flags: number): Request {
  const body = bytes(36, (v) => {
    v.setUint8(0, T_MAP); v.setUint32(4, domain, true);
    v.setBigUint64(8, virtStart, true); v.setBigUint64(16, virtEnd, true); v.setBigUint64(24, physStart, true);
    v.setUint32(32, flags, true);
  });
  return { body, writable: 4, what: `MAP domain ${domain} [${hex(virtStart)}, ${hex(virtEnd)}] -> ${hex(physStart)} flags ${flags}` };
}

export function unmap(domain: number, virtStart: bigint, virtEnd: bigint): Request {
  const body = bytes(28, (v) => { v.setUint8(0, T_UNMAP); v.setUint32(4, domain, true); v.setBigUint64(8, virtStart, true); v.setBigUint64(16, virtEnd, true); });
  return { body, writable: 4, what: `UNMAP domain ${domain} [${hex(virtStart)}, ${hex(virtEnd)}]` };
}

/**
 * The errno each failing status stands for (spec/viommu/operations.md, virtio-iommu): INVAL
 * for an overlapping MAP or a DETACH from a domain the endpoint is not in, RANGE for an UNMAP
 * that cuts a mapping, NOENT for a domain or endpoint that does not exist. The others mean the
 * device or this driver is broken, not an answer the contract has.
 */
export function errnoOf(status: number): Errno | undefined {
  switch (status) {
    case 4: return 'EINVAL';
    case 5: return 'ERANGE';
    case 6: return 'ENOENT';
    default: return undefined;
  }
}

export const statusName = (s: number): string => STATUS_NAMES[s] ?? `status ${s}`;
