// PCI configuration space of bus 0 over the 0xcf8/0xcfc ports, as a guest reaches it. An
// endpoint of the IOMMU is any PCI function: what the IOMMU knows of it is its requester id.
import { QtestError, type Qtest } from '../qtest.ts';

/** Bus 0, device `slot`, function `fn`: the requester id (bus << 8 | devfn) virtio-iommu calls the endpoint id. */
export interface PciFunction { slot: number; fn: number }

export const requesterId = (f: PciFunction): number => (f.slot << 3) | f.fn;

const address = (f: PciFunction, offset: number): number => (0x80000000 | (f.slot << 11) | (f.fn << 8) | (offset & 0xfc)) >>> 0;

export class PciConfig {
  constructor(readonly qtest: Qtest) {}

  async read32(f: PciFunction, offset: number): Promise<number> {
    await this.qtest.outl(0xcf8, address(f, offset));
    return (await this.qtest.inl(0xcfc)) >>> 0;
  }

  async read8(f: PciFunction, offset: number): Promise<number> {
    return (await this.read32(f, offset)) >>> (8 * (offset & 3)) & 0xff;
  }

  async write32(f: PciFunction, offset: number, v: number): Promise<void> {
    await this.qtest.outl(0xcf8, address(f, offset));
    await this.qtest.outl(0xcfc, v >>> 0);
  }

  async write16(f: PciFunction, offset: number, v: number): Promise<void> {
    await this.qtest.outl(0xcf8, address(f, offset));
    await this.qtest.outw(0xcfc + (offset & 2), v & 0xffff);
  }

  /** Checks vendor and device id, places a memory BAR (64-bit when `wide`), enables memory and bus mastering. */
  async enable(f: PciFunction, id: number, bar: number, base: bigint, wide: boolean): Promise<void> {
    const found = await this.read32(f, 0);
    if (found !== id >>> 0) throw new QtestError(`no device 0x${id.toString(16)} at slot 0x${f.slot.toString(16)} (found 0x${found.toString(16)})`);
    await this.write32(f, 0x10 + 4 * bar, Number(base & 0xffffffffn));
    if (wide) await this.write32(f, 0x14 + 4 * bar, Number(base >> 32n));
    await this.write16(f, 0x04, 0x6);
  }
}
