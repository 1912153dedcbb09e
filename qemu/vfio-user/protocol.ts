// The vfio-user wire format (QEMU docs/interop/vfio-user.rst): every message is a 16-byte
// little-endian header, then the command's payload. The client (QEMU's vfio-user-pci) sends
// commands; the server answers each with a reply of the same id and command, unless the
// command asked for none.

export const HEADER_SIZE = 16;

export const COMMAND = {
  VERSION: 1, DMA_MAP: 2, DMA_UNMAP: 3, DEVICE_GET_INFO: 4, DEVICE_GET_REGION_INFO: 5, REGION_IO_FDS: 6,
  DEVICE_GET_IRQ_INFO: 7, DEVICE_SET_IRQS: 8, REGION_READ: 9, REGION_WRITE: 10, DMA_READ: 11, DMA_WRITE: 12,
  DEVICE_RESET: 13, DIRTY_PAGES: 14, REGION_WRITE_MULTI: 15,
} as const;

export const commandName = (c: number): string =>
  Object.entries(COMMAND).find(([, v]) => v === c)?.[0] ?? `command ${c}`;

/** Header flags: the message type in bits 0-3, then no-reply and error. */
export const FLAG_REPLY = 0x1;
export const FLAG_NO_REPLY = 0x10;
export const FLAG_ERROR = 0x20;

/** DMA_MAP's flags, as VFIO_IOMMU_MAP_DMA's. */
export const DMA_READ = 0x1;
export const DMA_WRITE = 0x2;

export interface Header { id: number; command: number; size: number; flags: number; error: number }

export function readHeader(b: Buffer): Header {
  return { id: b.readUInt16LE(0), command: b.readUInt16LE(2), size: b.readUInt32LE(4), flags: b.readUInt32LE(8), error: b.readUInt32LE(12) };
}

/** The reply to `to`: its payload, or an errno (the error flag set, no payload). */
export function reply(to: Header, payload: Buffer, errno = 0): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  h.writeUInt16LE(to.id, 0);
  h.writeUInt16LE(to.command, 2);
  h.writeUInt32LE(HEADER_SIZE + (errno ? 0 : payload.length), 4);
  h.writeUInt32LE(FLAG_REPLY | (errno ? FLAG_ERROR : 0), 8);
  h.writeUInt32LE(errno, 12);
  return errno ? h : Buffer.concat([h, payload]);
}

/** A DMA_MAP or DMA_UNMAP as the server received it. */
export type DmaMessage =
  | { kind: 'map'; iova: bigint; size: bigint; offset: bigint; flags: number }
  | { kind: 'unmap'; iova: bigint; size: bigint; flags: number };

/** DMA_MAP: argsz, flags, offset, address, size. */
export function decodeDmaMap(p: Buffer): DmaMessage {
  return { kind: 'map', flags: p.readUInt32LE(4), offset: p.readBigUInt64LE(8), iova: p.readBigUInt64LE(16), size: p.readBigUInt64LE(24) };
}

/** DMA_UNMAP: argsz, flags, address, size. */
export function decodeDmaUnmap(p: Buffer): DmaMessage {
  return { kind: 'unmap', flags: p.readUInt32LE(4), iova: p.readBigUInt64LE(8), size: p.readBigUInt64LE(16) };
}
