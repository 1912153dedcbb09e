// The qtest connection as the adapter uses it: writes are posted without waiting (QEMU answers
// in order, so a batch costs one round trip), and every read settles what was posted first.
// A posted write's failure is kept and reported by the next settle, never left unhandled.
import type { Qtest } from '../qtest.ts';

export class Bus {
  private inflight: Promise<unknown>[] = [];

  constructor(readonly qtest: Qtest) {}

  writel(addr: bigint, v: bigint): void { this.post(this.qtest.writel(addr, v)); }
  writeb(addr: bigint, v: number): void { this.post(this.qtest.writeb(addr, v)); }
  write(addr: bigint, data: Uint8Array): void { this.post(this.qtest.write(addr, data)); }

  async readl(addr: bigint): Promise<bigint> { return this.after(this.qtest.readl(addr)); }
  async readb(addr: bigint): Promise<number> { return this.after(this.qtest.readb(addr)); }
  async read(addr: bigint, len: number): Promise<Uint8Array> { return this.after(this.qtest.read(addr, len)); }

  /** Waits for everything posted. */
  async settle(): Promise<void> {
    const all = this.inflight;
    this.inflight = [];
    await Promise.all(all);
  }

  private post(p: Promise<unknown>): void {
    p.catch(() => { /* reported by settle */ });
    this.inflight.push(p);
  }

  private async after<T>(p: Promise<T>): Promise<T> {
    p.catch(() => { /* reported below, after what was posted before it */ });
    await this.settle();
    return p;
  }
}
