// Guest-RAM pages for page tables, handed out upwards from TABLE_POOL, and the writes that fill
// them. Writes are issued without waiting (qtest answers in order); `settle` waits for them all,
// and must run before anything that makes the IOMMU read its tables (a DMA, an invalidation).
import { PAGE, TABLE_POOL, TABLE_POOL_END } from './layout.ts';
import type { Qtest } from './qtest.ts';

export class TablePool {
  private next = TABLE_POOL;
  /** Each write's failure, or null: caught at once, so a dead QEMU is reported by `settle`, not as an unhandled rejection. */
  private inflight: Promise<unknown>[] = [];

  constructor(private readonly qtest: Qtest) {}

  /** A zeroed table page. Pages are not reused within a case: QEMU caches no directory, so this is only about space. */
  allocate(): bigint {
    if (this.next >= TABLE_POOL_END) throw new Error(`page-table pool exhausted (${(TABLE_POOL_END - TABLE_POOL) / PAGE} tables)`);
    const addr = this.next;
    this.next += PAGE;
    this.issue(this.qtest.memset(addr, PAGE));
    return addr;
  }

  /** Every page handed out since `start` becomes free again (a reset). */
  release(): void { this.next = TABLE_POOL; }

  /** Entries of the table at `addr`; `whole`: the table holds these and nothing else. */
  writeEntries(addr: bigint, entries: [number, bigint][], whole = false): void {
    if (!whole) {
      for (const [i, v] of entries) this.issue(this.qtest.writeq(addr + 8n * BigInt(i), v));
      return;
    }
    const image = new Uint8Array(Number(PAGE));
    const view = new DataView(image.buffer);
    for (const [i, v] of entries) view.setBigUint64(8 * i, v, true);
    this.issue(this.qtest.write(addr, image));
  }

  issue(p: Promise<unknown>): void { this.inflight.push(p.then(() => null, (err: unknown) => err)); }

  async settle(): Promise<void> {
    const all = this.inflight;
    this.inflight = [];
    const failed = (await Promise.all(all)).find((e) => e !== null);
    if (failed !== undefined) throw failed;
  }
}
