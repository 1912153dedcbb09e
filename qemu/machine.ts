// The machine under test: QEMU's q35 with an intel-iommu and one edu device per endpoint (or
// QEMU's vfio-user client as endpoint 0), started over qtest, and the guest-side programming every backend operation builds on: PCI
// set-up, the VT-d root and context tables, the invalidation queue, edu's DMA engine and the
// fault recording registers.
import type { QemuCommand } from './build.ts';
import {
  CONTEXT_TABLE, EDU_BARS, EDU_SLOTS, EDU_VENDOR_DEVICE, GCMD_QIE, GCMD_SRTP, GCMD_TE, GUEST_RAM,
  PAGE, ROOT_TABLE, SCRATCH_IOVA, SCRATCH_PAGE, VTD, VTD_BASE,
} from './layout.ts';
import { eduDma } from './edu.ts';
import { FIRST_STAGE_FORMAT } from './first-stage.ts';
import { writeHaltBios } from './halt-bios.ts';
import type { Descriptor } from './descriptors.ts';
import { InvalidationQueue } from './invalidation-queue.ts';
import { Qtest, QtestError } from './qtest.ts';
import { VTD_FORMAT, type TableFormat } from './second-level.ts';

/**
 * How the IOMMU translates: `legacy` (root and context tables, second level) or `flts`
 * (scalable mode: scalable-mode root and context entries, a PASID table per endpoint, and
 * first-stage tables; QEMU 11.1's `scalable-mode=on,fsts=on`).
 */
export type VtdMode = 'legacy' | 'flts';

/** Scratch tables at fixed pages below the table pool: SCRATCH_IOVA -> SCRATCH_PAGE in every domain. */
export const SCRATCH_TABLES = [0x00105000n, 0x00106000n, 0x00107000n];

/** RTADDR.TTM (bits 11:10) = 01b: the root table holds scalable-mode root entries. */
const RTADDR_SCALABLE = 1n << 10n;

/** A raw fault record: requester, faulting page address, read or write, reason code. */
export interface RawFault { sid: number; addr: bigint; access: 'read' | 'write'; reason: number }

const reg = (r: bigint) => VTD_BASE + r;
const cfgAddress = (slot: number, offset: number) => (0x80000000 | (slot << 11) | (offset & 0xfc)) >>> 0;
export const devfnOf = (endpoint: number) => EDU_SLOTS[endpoint]! << 3;

export class Machine {
  cap = 0n;
  private gcmd = 0;
  readonly started: number;
  private readonly queue: InvalidationQueue;

  private constructor(readonly qtest: Qtest, private readonly bios: { remove(): void }, readonly cachingMode: boolean, private readonly edus: boolean, readonly mode: VtdMode) {
    this.started = performance.now();
    this.queue = new InvalidationQueue(qtest, mode === 'flts');
  }

  /** The format of the tables a domain's context (legacy) or PASID entry (flts) points to. */
  get format(): TableFormat { return this.mode === 'flts' ? FIRST_STAGE_FORMAT : VTD_FORMAT; }

  /**
   * `devices: 'edu'` (the default): one edu per endpoint, a halted TCG CPU. `{vfioUser}`: QEMU's
   * vfio-user-pci client at endpoint 0's slot, talking to the server on that socket, with RAM in
   * one memfd (VFIO maps fd offsets) and the qtest accelerator (no CPU, no firmware run).
   */
  static async start(qemu: QemuCommand, cachingMode: boolean, devices: 'edu' | { vfioUser: string } = 'edu', mode: VtdMode = 'legacy'): Promise<Machine> {
    // Scalable mode with first-stage translation: QEMU 11.1's property names.
    const scalable = mode === 'flts' ? ',scalable-mode=on,fsts=on' : '';
    const iommu = ['-device', `intel-iommu,aw-bits=48,caching-mode=${cachingMode ? 'on' : 'off'}${scalable}`];
    let bios = { path: '', remove() { /* no firmware image */ } };
    let args: string[];
    if (devices === 'edu') {
      bios = writeHaltBios();
      const edus = EDU_SLOTS.flatMap((slot) => ['-device', `edu,addr=0x${slot.toString(16)},dma_mask=0xffffffffffffffff`]);
      args = ['-machine', 'q35', '-accel', 'tcg', '-bios', bios.path, '-icount', 'shift=0,sleep=off', '-m', GUEST_RAM, ...iommu, ...edus];
    } else {
      if (!qemu.qtestAccel) throw new Error(`QEMU ${qemu.version} has no qtest accelerator, which a vfio-user machine needs`);
      const client = { driver: 'vfio-user-pci', addr: `0x${EDU_SLOTS[0]!.toString(16)}`, socket: { type: 'unix', path: devices.vfioUser } };
      args = ['-object', `memory-backend-memfd,id=ram,size=${GUEST_RAM}`, '-machine', 'q35,memory-backend=ram', '-accel', 'qtest', '-m', GUEST_RAM,
        ...iommu, '-device', JSON.stringify(client)];
    }
    const qtest = new Qtest(qemu.argv, args);
    const machine = new Machine(qtest, bios, cachingMode, devices === 'edu', mode);
    try {
      await machine.boot();
    } catch (err) {
      await machine.dispose();
      throw err;
    }
    return machine;
  }

  /** CAP.MAMV: the largest address mask a page-selective invalidation takes. */
  get mamv(): bigint { return (this.cap >> 48n) & 0x3fn; }

  /** The page sizes of the mode's tables, ascending: CAP.SLLPS, or CAP.FS1GP for first-stage (2 MiB always). */
  pageSizes(): bigint[] {
    if (this.mode === 'flts') return (this.cap >> 56n) & 1n ? [PAGE, 0x200000n, 0x40000000n] : [PAGE, 0x200000n];
    const sizes = [PAGE];
    if ((this.cap >> 34n) & 1n) sizes.push(0x200000n);
    if ((this.cap >> 34n) & 1n && (this.cap >> 35n) & 1n) sizes.push(0x40000000n);
    return sizes;
  }

  private async boot(): Promise<void> {
    const q = this.qtest;
    for (const [i, slot] of this.edus ? EDU_SLOTS.entries() : []) {
      await q.outl(0xcf8, cfgAddress(slot, 0));
      const id = await q.inl(0xcfc);
      if (id >>> 0 !== EDU_VENDOR_DEVICE) throw new QtestError(`no edu device at slot ${slot} (id 0x${id.toString(16)})`);
      await q.outl(0xcf8, cfgAddress(slot, 0x10));
      await q.outl(0xcfc, Number(EDU_BARS[i]!));
      await q.outl(0xcf8, cfgAddress(slot, 0x04));
      await q.outw(0xcfc, 0x6); // memory space, bus master
    }
    this.cap = await q.readq(reg(VTD.CAP));
    await this.writeScratchTables();
    await q.memset(ROOT_TABLE, PAGE);
    await q.memset(CONTEXT_TABLE, PAGE);
    if (this.mode === 'legacy') {
      await q.writeq(ROOT_TABLE, CONTEXT_TABLE | 1n); // bus 0 only: both edus are there
      await q.writeq(reg(VTD.RTADDR), ROOT_TABLE);
    } else {
      // A scalable-mode root entry has two context tables: devfn 0-127 (low), 128-255 (high).
      if (EDU_SLOTS.some((slot) => slot < 0x10)) throw new QtestError('scalable mode here expects every endpoint at devfn 128 or above');
      await q.writeq(ROOT_TABLE + 8n, CONTEXT_TABLE | 1n);
      await q.writeq(reg(VTD.RTADDR), ROOT_TABLE | RTADDR_SCALABLE);
    }
    await this.command(GCMD_SRTP, 1 << 30);
    await this.queue.program();
    this.gcmd |= GCMD_QIE;
    await this.command(this.gcmd, GCMD_QIE);
    this.gcmd |= GCMD_TE;
    await this.command(this.gcmd, GCMD_TE);
  }

  private async writeScratchTables(): Promise<void> {
    const [pdpt, pd, pt] = SCRATCH_TABLES as [bigint, bigint, bigint];
    const f = this.format;
    for (const t of SCRATCH_TABLES) await this.qtest.memset(t, PAGE);
    const idx = (level: number) => (SCRATCH_IOVA >> (12n + 9n * BigInt(level))) & 511n;
    await this.qtest.writeq(pdpt + 8n * idx(2), f.table(pd, 'rw'));
    await this.qtest.writeq(pd + 8n * idx(1), f.table(pt, 'rw'));
    await this.qtest.writeq(pt + 8n * idx(0), f.leaf(SCRATCH_PAGE, 'rw', 0));
  }

  /** GCMD is a command register: every write states all the enables wanted. */
  private async command(value: number, status: number): Promise<void> {
    await this.qtest.writel(reg(VTD.GCMD), value >>> 0);
    const gsts = Number(await this.qtest.readl(reg(VTD.GSTS)));
    if ((gsts & status) === 0) throw new QtestError(`VT-d GSTS 0x${gsts.toString(16)} lacks 0x${(status >>> 0).toString(16)} after GCMD 0x${(value >>> 0).toString(16)}`);
  }

  /** The context entry of `endpoint`: second-level root `slptptr` and domain id, or not present. */
  async writeContext(endpoint: number, entry: { slptptr: bigint; did: number } | null): Promise<void> {
    const at = CONTEXT_TABLE + 16n * BigInt(devfnOf(endpoint));
    // hi first when making it present, lo first when removing it: never a half-written present entry.
    if (entry === null) {
      await Promise.all([this.qtest.writeq(at, 0n), this.qtest.writeq(at + 8n, 0n)]);
    } else {
      // AW 2: 48-bit, four levels; TT 0: untranslated requests through the second level.
      await Promise.all([this.qtest.writeq(at + 8n, 2n | (BigInt(entry.did) << 8n)), this.qtest.writeq(at, entry.slptptr | 1n)]);
    }
  }

  /** Reads a dword of the config space of the function at `slot` on bus 0. */
  async readConfig(slot: number, offset: number): Promise<number> {
    await this.qtest.outl(0xcf8, cfgAddress(slot, offset));
    return this.qtest.inl(0xcfc);
  }

  /** Clears every context entry (a reset in place). */
  clearContexts(): Promise<string> { return this.qtest.memset(CONTEXT_TABLE, PAGE); }

  /** Queued invalidation (invalidation-queue.ts). */
  invalidate(descriptors: readonly Descriptor[]): Promise<void> { return this.queue.submit(descriptors); }

  /** One edu DMA of `count` bytes between its buffer and bus address `addr` (edu.ts). */
  eduDma(endpoint: number, direction: 'to-buffer' | 'from-buffer', addr: bigint, count = 1n, before: Promise<unknown>[] = []): Promise<void> {
    return eduDma(this.qtest, EDU_BARS[endpoint]!, direction, addr, count, before);
  }

  /** Reads and clears every fault recording register, oldest first as far as the hardware tells. */
  async takeFaults(): Promise<RawFault[]> {
    const q = this.qtest;
    const fsts = await q.readl(reg(VTD.FSTS));
    // PPF (bit 1) says a record is pending; PFO (bit 0) that one was lost.
    if ((fsts & 3n) === 0n) return [];
    const fro = ((this.cap >> 24n) & 0x3ffn) * 16n;
    const nfr = Number((this.cap >> 40n) & 0xffn) + 1;
    const found: RawFault[] = [];
    for (let i = 0; i < nfr; i++) {
      const at = reg(fro + 16n * BigInt(i));
      const hi = await q.readq(at + 8n);
      if (!(hi >> 63n)) continue;
      const lo = await q.readq(at);
      found.push({ sid: Number(hi & 0xffffn), addr: lo & ~0xfffn, access: (hi >> 62n) & 1n ? 'read' : 'write', reason: Number((hi >> 32n) & 0xffn) });
      await q.writel(at + 12n, 0x80000000); // F is write-1-to-clear
    }
    await q.writel(reg(VTD.FSTS), Number(fsts & 0x7dn)); // PFO, IQE, ... write-1-to-clear
    return found;
  }

  /** The scratch byte's guest-physical address and the IOVA that reaches it. */
  readonly scratch = { pa: SCRATCH_PAGE, iova: SCRATCH_IOVA };

  async dispose(): Promise<void> {
    await this.qtest.dispose();
    this.bios.remove();
  }
}
