// The virtio-pci modern transport (virtio 1.x, "Virtio Over PCI Bus"), driven over qtest: the
// vendor capabilities locate the common, notify and device configuration structures in a BAR;
// the common configuration negotiates features, sets up queues and moves the device status.
import { QtestError, type Qtest } from '../qtest.ts';
import type { PciConfig, PciFunction } from './pci.ts';

const CAP_VENDOR = 0x09;
const CFG_COMMON = 1;
const CFG_NOTIFY = 2;
const CFG_DEVICE = 4;

/** Offsets in the common configuration structure. */
const COMMON = {
  DFSELECT: 0x00n, DF: 0x04n, GFSELECT: 0x08n, GF: 0x0cn, STATUS: 0x14n,
  Q_SELECT: 0x16n, Q_SIZE: 0x18n, Q_MSIX: 0x1an, Q_ENABLE: 0x1cn, Q_NOFF: 0x1en,
  Q_DESC: 0x20n, Q_AVAIL: 0x28n, Q_USED: 0x30n,
} as const;

export const STATUS_ACKNOWLEDGE = 1;
export const STATUS_DRIVER = 2;
export const STATUS_DRIVER_OK = 4;
export const STATUS_FEATURES_OK = 8;
export const F_VERSION_1 = 32;

/** Where a queue's three parts live in guest RAM. */
export interface QueueAddresses { desc: bigint; avail: bigint; used: bigint }

export class VirtioPci {
  private constructor(
    readonly qtest: Qtest,
    private readonly common: bigint,
    private readonly notifyBase: bigint,
    private readonly notifyMultiplier: number,
    /** The device-specific configuration structure. */
    readonly device: bigint,
  ) {}

  /** Walks the capability list, places the BAR that holds the structures at `base`, enables the function. */
  static async open(pci: PciConfig, f: PciFunction, id: number, base: bigint): Promise<VirtioPci> {
    const caps = new Map<number, { bar: number; offset: number; extra: number }>();
    for (let p = await pci.read8(f, 0x34); p !== 0; p = await pci.read8(f, p + 1)) {
      if ((await pci.read8(f, p)) !== CAP_VENDOR) continue;
      const type = await pci.read8(f, p + 3);
      if (caps.has(type)) continue; // the first of a type is the preferred one
      const extra = type === CFG_NOTIFY ? await pci.read32(f, p + 16) : 0;
      caps.set(type, { bar: await pci.read8(f, p + 4), offset: await pci.read32(f, p + 8), extra });
    }
    const common = caps.get(CFG_COMMON);
    const notify = caps.get(CFG_NOTIFY);
    const device = caps.get(CFG_DEVICE);
    if (!common || !notify || !device) throw new QtestError('virtio-pci: the common, notify or device configuration capability is missing');
    if (notify.bar !== common.bar || device.bar !== common.bar) throw new QtestError('virtio-pci: the configuration structures span several BARs');
    await pci.enable(f, id, common.bar, base, true);
    return new VirtioPci(pci.qtest, base + BigInt(common.offset), base + BigInt(notify.offset), notify.extra, base + BigInt(device.offset));
  }

  setStatus(v: number): Promise<string> { return this.qtest.writeb(this.common + COMMON.STATUS, v); }
  async status(): Promise<number> { return Number(await this.qtest.readb(this.common + COMMON.STATUS)); }

  async deviceFeatures(): Promise<bigint> {
    const q = this.qtest;
    await q.writel(this.common + COMMON.DFSELECT, 0);
    const lo = await q.readl(this.common + COMMON.DF);
    await q.writel(this.common + COMMON.DFSELECT, 1);
    return lo | ((await q.readl(this.common + COMMON.DF)) << 32n);
  }

  async driverFeatures(f: bigint): Promise<void> {
    const q = this.qtest;
    await Promise.all([
      q.writel(this.common + COMMON.GFSELECT, 0), q.writel(this.common + COMMON.GF, f & 0xffffffffn),
      q.writel(this.common + COMMON.GFSELECT, 1), q.writel(this.common + COMMON.GF, f >> 32n),
    ]);
  }

  /**
   * Sets up queue `index` with at most `size` entries at `at`, no MSI-X vector; answers the
   * size used and the address its notifications go to.
   */
  async setupQueue(index: number, size: number, at: QueueAddresses): Promise<{ size: number; notify: bigint }> {
    const q = this.qtest;
    const c = this.common;
    await q.writew(c + COMMON.Q_SELECT, index);
    const max = await q.readw(c + COMMON.Q_SIZE);
    if (max === 0) throw new QtestError(`virtio-pci: queue ${index} does not exist`);
    const n = Math.min(max, size);
    const wide = (reg: bigint, v: bigint) => [q.writel(c + reg, v & 0xffffffffn), q.writel(c + reg + 4n, v >> 32n)];
    await Promise.all([
      q.writew(c + COMMON.Q_SIZE, n), ...wide(COMMON.Q_DESC, at.desc), ...wide(COMMON.Q_AVAIL, at.avail), ...wide(COMMON.Q_USED, at.used),
      q.writew(c + COMMON.Q_MSIX, 0xffff),
    ]);
    const off = await q.readw(c + COMMON.Q_NOFF);
    await q.writew(c + COMMON.Q_ENABLE, 1);
    return { size: n, notify: this.notifyBase + BigInt(off * this.notifyMultiplier) };
  }
}
