// The PL081 DMA controller (hw/dma/pl080.c) as our bus master: one channel, memory to memory,
// programmed over qtest. QEMU runs a memory-to-memory transfer to its end inside the write that
// enables the channel (pl080_run), so a transfer is done once its writes are answered; the
// channel's enable bit, cleared at the end, says it ran.
import type { Bus } from './bus.ts';
import { DMA_BASE } from './layout.ts';

const REG = { CONFIG: 0x030n, SRC: 0x100n, DEST: 0x104n, LLI: 0x108n, CONTROL: 0x10cn, CHANNEL_CONFIG: 0x110n, PERIPH_ID0: 0xfe0n } as const;
const CONFIG_E = 1n;
const CHANNEL_E = 1n;
/** DMACCxControl: SWidth (18) and DWidth (21) as log2 bytes, SI (26), DI (27). */
const SI = 1n << 26n;
const DI = 1n << 27n;
const MAX_TRANSFERS = 0xfffn;

export type Width = 1 | 4;

export interface Transfer {
  src: bigint;
  dst: bigint;
  /** Transfers of `width` bytes each. */
  count: number;
  width: Width;
  /** Whether each side's address advances (a register is read or written in place). */
  srcIncrement: boolean;
  dstIncrement: boolean;
}

export class Pl081 {
  constructor(private readonly bus: Bus) {}

  async periphId0(): Promise<number> { return Number(await this.bus.readl(DMA_BASE + REG.PERIPH_ID0)); }

  enable(): void { this.bus.writel(DMA_BASE + REG.CONFIG, CONFIG_E); }

  /** Posts one transfer; it has happened once the bus settles. */
  run(t: Transfer): void {
    const count = BigInt(t.count);
    if (count < 1n || count > MAX_TRANSFERS) throw new Error(`PL081 transfer of ${t.count} items: 1..${MAX_TRANSFERS}`);
    const w = t.width === 4 ? 2n : 0n;
    const control = count | (w << 18n) | (w << 21n) | (t.srcIncrement ? SI : 0n) | (t.dstIncrement ? DI : 0n);
    this.bus.writel(DMA_BASE + REG.SRC, t.src);
    this.bus.writel(DMA_BASE + REG.DEST, t.dst);
    this.bus.writel(DMA_BASE + REG.LLI, 0n);
    this.bus.writel(DMA_BASE + REG.CONTROL, control);
    // Flow control 0 (memory to memory), no interrupts: pl080_run moves everything now.
    this.bus.writel(DMA_BASE + REG.CHANNEL_CONFIG, CHANNEL_E);
  }

  /** Throws if the last transfer did not run to its end. */
  async checkDone(): Promise<void> {
    const config = await this.bus.readl(DMA_BASE + REG.CHANNEL_CONFIG);
    if (config & CHANNEL_E) throw new Error(`PL081 channel 0 still enabled after its transfer (config 0x${config.toString(16)})`);
  }
}
