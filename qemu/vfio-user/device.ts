// The PCI function the server presents: a config space and nothing else. QEMU's vfio-pci only
// needs to realize it; the device never does DMA of its own. Its ids are edu's (no vfio-pci
// quirk matches them), class 0xff "unassigned", no capabilities, no BARs, one error IRQ.

/** VFIO_PCI_CONFIG_REGION_INDEX, and the number of region and IRQ indexes of a PCI device. */
export const CONFIG_REGION = 7;
export const REGIONS = 9;
export const IRQ_INDEXES = 5;
const ERR_IRQ_INDEX = 3;

const DEVICE_FLAGS_RESET = 0x1;
const DEVICE_FLAGS_PCI = 0x2;
const REGION_READ = 0x1;
const REGION_WRITE = 0x2;
const IRQ_INFO_EVENTFD = 0x1;

export class DummyDevice {
  readonly config = Buffer.alloc(256);
  /** Config reads answered: how the server knows the client's queue has drained up to a point. */
  configReads = 0;

  constructor() {
    this.config.writeUInt16LE(0x1234, 0x00);
    this.config.writeUInt16LE(0x11e8, 0x02);
    this.config[0x08] = 0x10; // revision
    this.config[0x0b] = 0xff; // class: unassigned
  }

  /** DEVICE_GET_INFO: argsz, flags, num_regions, num_irqs. */
  info(): Buffer {
    return u32s(16, DEVICE_FLAGS_PCI | DEVICE_FLAGS_RESET, REGIONS, IRQ_INDEXES);
  }

  /** DEVICE_GET_REGION_INFO: argsz, flags, index, cap_offset, size, offset; only config space has a size. */
  regionInfo(index: number): Buffer {
    const size = index === CONFIG_REGION ? BigInt(this.config.length) : 0n;
    const b = Buffer.alloc(32);
    b.writeUInt32LE(32, 0);
    b.writeUInt32LE(size ? REGION_READ | REGION_WRITE : 0, 4);
    b.writeUInt32LE(index, 8);
    b.writeBigUInt64LE(size, 16);
    return b;
  }

  /** DEVICE_GET_IRQ_INFO: argsz, flags, index, count; only the error IRQ exists. */
  irqInfo(index: number): Buffer {
    const has = index === ERR_IRQ_INDEX;
    return u32s(16, has ? IRQ_INFO_EVENTFD : 0, index, has ? 1 : 0);
  }

  /** Bytes of a region; outside config space, zeros. */
  read(region: number, offset: number, count: number): Buffer {
    const out = Buffer.alloc(count);
    if (region === CONFIG_REGION) {
      this.configReads++;
      this.config.copy(out, 0, Math.min(offset, this.config.length), Math.min(offset + count, this.config.length));
    }
    return out;
  }

  /** Config writes land, except the BARs (the client emulates those); other regions take nothing. */
  write(region: number, offset: number, data: Buffer): void {
    if (region !== CONFIG_REGION || (offset >= 0x10 && offset < 0x28) || offset >= this.config.length) return;
    data.copy(this.config, offset, 0, Math.min(data.length, this.config.length - offset));
  }
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 * i));
  return b;
}
