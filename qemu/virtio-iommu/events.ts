// The event queue: the driver keeps buffers available, the device fills one per fault
// (virtio_iommu_report_fault) and returns it. A fault with no buffer available is lost, so every
// buffer taken is offered again at once.
import type { Qtest } from '../qtest.ts';
import type { SplitQueue } from './virtqueue.ts';

export const FAULT_R_UNKNOWN = 0;
export const FAULT_R_DOMAIN = 1;
export const FAULT_R_MAPPING = 2;
export const FAULT_F_READ = 1;
export const FAULT_F_WRITE = 2;
export const FAULT_F_ADDRESS = 0x100;

/** struct virtio_iommu_fault: reason, flags, endpoint, address (valid with F_ADDRESS). */
export interface FaultEvent { reason: number; flags: number; endpoint: number; address: bigint }

const EVENT_SIZE = 32;

export class EventQueue {
  constructor(private readonly qtest: Qtest, private readonly queue: SplitQueue, private readonly buffers: bigint) {}

  private at(i: number): bigint { return this.buffers + BigInt(EVENT_SIZE * i); }

  /** Offers every buffer: the queue full of room for faults. */
  async start(): Promise<void> {
    const heads = Array.from({ length: this.queue.size }, (_, i) => i);
    await Promise.all([
      ...heads.flatMap((i) => this.queue.writeChain(i, [{ addr: this.at(i), len: EVENT_SIZE, writable: true }])),
      ...this.queue.offer(heads),
    ]);
  }

  /** The faults reported since the last call, oldest first; their buffers are offered again. */
  async take(): Promise<FaultEvent[]> {
    const used = await this.queue.takeUsed();
    if (used.length === 0) return [];
    const raws = await Promise.all(used.map((u) => this.qtest.read(this.at(u.id), 24)));
    await Promise.all(this.queue.offer(used.map((u) => u.id)));
    return raws.map((b) => {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      return { reason: v.getUint8(0), flags: v.getUint32(4, true), endpoint: v.getUint32(8, true), address: v.getBigUint64(16, true) };
    });
  }
}
