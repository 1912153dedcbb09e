// Guest-RAM pages for page tables, handed out upwards from TABLE_POOL, and the writes that fill
// them. Writes are issued without waiting (qtest answers in order); `settle` waits for them all,
// and must run before anything that makes the IOMMU read its tables (a DMA, an invalidation).
import { PAGE, TABLE_POOL, TABLE_POOL_END } from './layout.ts';
import type { Qtest } from './qtest.ts';

export class TablePool {
  private next: bigint;
  /** Each write's failure, or null: caught at once, so a dead QEMU is reported by `settle`, not as an unhandled rejection. */
  private inflight: Promise<unknown>[] = [];

  /** Pages of [start, end): by default the intel-iommu layout's pool. */
  constructor(private readonly qtest: Qtest, private readonly start = TABLE_POOL, private readonly end = TABLE_POOL_END) {
    this.next = start;
  }

  /** A zeroed table page. Pages are not reused within a case: QEMU caches no directory, so this is only about space. */
  allocate(): bigint {
    if (this.next >= this.end) throw new Error(`page-table pool exhausted (${(this.end - this.start) / PAGE} tables)`);
    const addr = this.next;
    this.next += PAGE;
    this.issue(this.qtest.memset(addr, PAGE));
    return addr;
  }

  /** Every page handed out since `start` becomes free again (a reset). */
  release(): void { this.next = this.start; }

  /** Single entries of the table at `addr`. */
  writeEntries(addr: bigint, entries: [number, bigint][]): void {
    for (const [i, v] of entries) this.issue(this.qtest.writeq(addr + 8n * BigInt(i), v));
  }

  /** Consecutive entries from index `first` of the table at `addr`, in one command. */
  writeRun(addr: bigint, first: number, values: bigint[]): void {
    if (values.length === 1) return this.writeEntries(addr, [[first, values[0]!]]);
    const image = new Uint8Array(8 * values.length);
    const view = new DataView(image.buffer);
    values.forEach((v, i) => view.setBigUint64(8 * i, v, true));
    this.issue(this.qtest.write(addr + 8n * BigInt(first), image));
  }

  issue(p: Promise<unknown>): void { this.inflight.push(p.then(() => null, (err: unknown) => err)); }

  async settle(): Promise<void> {
    const all = this.inflight;
    this.inflight = [];
    const failed = (await Promise.all(all)).find((e) => e !== null);
    if (failed !== undefined) throw failed;
  }
}
