// QEMU's edu device as a DMA engine: one transfer between its 4 KiB buffer and a bus address,
// through whatever IOMMU sits above it. Both the VT-d and the virtio-iommu machines use it.
import { QtestError, type Qtest } from './qtest.ts';

export const EDU_VENDOR_DEVICE = 0x11e81234;
/** edu's DMA buffer as the device addresses it. */
export const EDU_BUFFER = 0x40000n;
const DMA_POLL_LIMIT = 10_000;

/**
 * One edu DMA of `count` bytes between its buffer start and bus address `addr`, run to
 * completion. The register writes and the first status read go out together (qtest keeps
 * their order): one round trip when the virtual clock has already reached edu's timer.
 */
export async function eduDma(q: Qtest, bar: bigint, direction: 'to-buffer' | 'from-buffer', addr: bigint, count = 1n, before: Promise<unknown>[] = []): Promise<void> {
  const [src, dst, cmd] = direction === 'to-buffer' ? [addr, EDU_BUFFER, 1n] : [EDU_BUFFER, addr, 3n];
  const kicks = Promise.all([...before, q.writeq(bar + 0x80n, src), q.writeq(bar + 0x88n, dst), q.writeq(bar + 0x90n, count), q.writeq(bar + 0x98n, cmd)]);
  kicks.catch(() => { /* the status read below fails the same way */ });
  for (let i = 0; i < DMA_POLL_LIMIT; i++) {
    if (((await q.readq(bar + 0x98n)) & 1n) === 0n) {
      await kicks;
      return;
    }
    if (i > 50) await new Promise((r) => setTimeout(r, 1));
  }
  throw new QtestError(`edu at 0x${bar.toString(16)}: DMA still running after ${DMA_POLL_LIMIT} polls`);
}
