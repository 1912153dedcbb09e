// VT-d's queued invalidation interface: one page of descriptors in guest RAM, each batch closed by
// a wait descriptor whose status write is polled. Legacy mode uses 128-bit descriptors; scalable
// mode's PASID-based ones need the 256-bit format (IQA.DW), which QEMU otherwise rejects.
import type { Descriptor } from './descriptors.ts';
import { INVALIDATION_QUEUE, PAGE, VTD, VTD_BASE, WAIT_STATUS } from './layout.ts';
import { QtestError, type Qtest } from './qtest.ts';

/** IQA.DW: 256-bit descriptors, which scalable mode's PASID-based ones need (vtd_inv_desc_reserved_check). */
const IQA_256_BIT = 1n << 11n;
const reg = (r: bigint) => VTD_BASE + r;

export class InvalidationQueue {
  private tail = 0n;
  private waitToken = 0n;
  /** Descriptor size in bytes, and how many fit in the queue's one page (IQA.QS 0). */
  private readonly size: bigint;
  private readonly entries: bigint;

  constructor(private readonly qtest: Qtest, private readonly wide: boolean) {
    this.size = wide ? 32n : 16n;
    this.entries = PAGE / this.size;
  }

  /** The queue's page, cleared and programmed; the caller then sets GCMD.QIE. */
  async program(): Promise<void> {
    await this.qtest.memset(INVALIDATION_QUEUE, PAGE);
    await this.qtest.writeq(reg(VTD.IQA), INVALIDATION_QUEUE | (this.wide ? IQA_256_BIT : 0n));
    await this.qtest.writeq(reg(VTD.IQT), 0n);
  }

  async submit(descriptors: readonly Descriptor[]): Promise<void> {
    const q = this.qtest;
    this.waitToken = (this.waitToken + 1n) & 0xffffffffn || 1n;
    const writes: Promise<unknown>[] = [q.writel(WAIT_STATUS, 0)];
    for (const [lo, hi] of [...descriptors, [0x5n | (1n << 5n) | (this.waitToken << 32n), WAIT_STATUS] as Descriptor]) {
      // A 256-bit descriptor's upper half is zero for every type used here (and reserved for most).
      const at = INVALIDATION_QUEUE + this.size * this.tail;
      writes.push(q.writeq(at, lo), q.writeq(at + 8n, hi));
      if (this.wide) writes.push(q.writeq(at + 16n, 0n), q.writeq(at + 24n, 0n));
      this.tail = (this.tail + 1n) % this.entries;
    }
    // IQT.QT counts descriptors: bits 18:4 for 128-bit ones, 18:5 for 256-bit ones.
    writes.push(q.writeq(reg(VTD.IQT), this.tail * this.size));
    await Promise.all(writes);
    // QEMU drains the queue while handling the IQT write: the status is there by now.
    for (let i = 0; i < 100; i++) {
      if ((await q.readl(WAIT_STATUS)) === this.waitToken) return;
    }
    const fsts = await q.readl(reg(VTD.FSTS));
    throw new QtestError(`invalidation wait descriptor never completed (FSTS 0x${fsts.toString(16)}, IQH 0x${(await q.readq(reg(VTD.IQH))).toString(16)})`);
  }
}
