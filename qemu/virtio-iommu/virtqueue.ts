// A split virtqueue in guest RAM (virtio 1.x, "Split Virtqueues"): the descriptor table, the
// available ring the driver fills and the used ring the device returns buffers on. No event
// index, no indirect descriptors: every buffer made available is followed by a notification.
import { QtestError, type Qtest } from '../qtest.ts';
import type { QueueAddresses } from './transport.ts';

const F_NEXT = 1;
const F_WRITE = 2;
const USED_POLL_LIMIT = 10_000;

/** One buffer of a chain: `writable` ones are the device's to fill. */
export interface Buffer { addr: bigint; len: number; writable: boolean }
export interface Used { id: number; len: number }

/** The three parts at `base`: descriptors, then the available ring, the used ring a page further. */
export const queueAt = (base: bigint, size: number): QueueAddresses =>
  ({ desc: base, avail: base + 16n * BigInt(size), used: base + 0x1000n });

export class SplitQueue {
  private availIdx = 0;
  private usedSeen = 0;

  constructor(private readonly qtest: Qtest, readonly at: QueueAddresses, readonly size: number, private readonly notifyAt: bigint, private readonly index: number) {
    if (16 * size + 6 + 2 * size > 0x1000) throw new QtestError(`virtqueue of ${size} entries does not fit its layout`);
  }

  /** The writes that put `chain` in the descriptor table from `head` on (not yet available). */
  writeChain(head: number, chain: readonly Buffer[]): Promise<string>[] {
    return chain.map((b, i) => {
      const bytes = new Uint8Array(16);
      const v = new DataView(bytes.buffer);
      v.setBigUint64(0, b.addr, true);
      v.setUint32(8, b.len, true);
      v.setUint16(12, (i + 1 < chain.length ? F_NEXT : 0) | (b.writable ? F_WRITE : 0), true);
      v.setUint16(14, (head + i + 1) % this.size, true);
      return this.qtest.write(this.at.desc + 16n * BigInt((head + i) % this.size), bytes);
    });
  }

  /** Makes the chains at `heads` available and notifies the device. */
  offer(heads: readonly number[]): Promise<string>[] {
    const q = this.qtest;
    const writes = heads.map((h) => q.writew(this.at.avail + 4n + 2n * BigInt((this.availIdx++) % this.size), h));
    writes.push(q.writew(this.at.avail + 2n, this.availIdx & 0xffff), q.writew(this.notifyAt, this.index));
    return writes;
  }

  private async usedIdx(): Promise<number> { return this.qtest.readw(this.at.used + 2n); }

  /** The buffers the device returned since the last call, oldest first. */
  async takeUsed(): Promise<Used[]> {
    const idx = await this.usedIdx();
    const out: Used[] = [];
    for (; (this.usedSeen & 0xffff) !== idx; this.usedSeen++) {
      const at = this.at.used + 4n + 8n * BigInt(this.usedSeen % this.size);
      const raw = await this.qtest.readq(at);
      out.push({ id: Number(raw & 0xffffffffn), len: Number(raw >> 32n) });
    }
    return out;
  }

  /** Waits until the device has returned `count` more buffers than were taken; answers them. */
  async waitUsed(count: number, what: string): Promise<Used[]> {
    const out: Used[] = [];
    for (let i = 0; out.length < count; i++) {
      if (i >= USED_POLL_LIMIT) throw new QtestError(`virtqueue ${this.index}: ${what} not returned after ${USED_POLL_LIMIT} polls`);
      out.push(...await this.takeUsed());
      if (out.length < count && i > 20) await new Promise((r) => setTimeout(r, 1));
    }
    return out;
  }
}
