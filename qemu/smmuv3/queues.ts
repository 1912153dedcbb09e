// The command queue and the event queue: circular buffers in guest RAM, each index carrying a
// wrap bit above its log2size bits (Arm SMMUv3 specification, 3.5). QEMU consumes commands
// while handling the CMDQ_PROD write (smmuv3_cmdq_consume) and writes an event record as a
// transaction faults (smmuv3_record_event), so neither needs waiting on the virtual clock.
import type { Qtest } from '../qtest.ts';
import { QtestError } from '../qtest.ts';
import { sync, type Command } from './commands.ts';
import { REG, SMMU_BASE } from './layout.ts';
import { bytesOf } from './stream-table.ts';

const reg = (r: bigint) => SMMU_BASE + r;
/** Commands per batch: the queue must never be full (then PROD would equal CONS with the wrap flipped). */
const BATCH = 64;

class Ring {
  index = 0n;
  constructor(readonly log2: bigint) {}
  get slot(): bigint { return this.index & ((1n << this.log2) - 1n); }
  advance(): void { this.index = (this.index + 1n) & ((1n << (this.log2 + 1n)) - 1n); }
}

export class CommandQueue {
  private readonly prod: Ring;

  constructor(private readonly qtest: Qtest, private readonly base: bigint, log2: bigint) { this.prod = new Ring(log2); }

  /** Register value of CMDQ_BASE: address and log2size. */
  get baseRegister(): bigint { return this.base | this.prod.log2; }

  /** The commands and a CMD_SYNC per batch, each batch consumed before the next is written. */
  async submit(commands: Command[]): Promise<void> {
    for (let i = 0; i < commands.length; i += BATCH) await this.batch([...commands.slice(i, i + BATCH), sync()]);
  }

  private async batch(commands: Command[]): Promise<void> {
    const q = this.qtest;
    const writes: Promise<unknown>[] = [];
    for (const c of commands) {
      writes.push(q.write(this.base + 16n * this.prod.slot, bytesOf(c)));
      this.prod.advance();
    }
    writes.push(q.writel(reg(REG.CMDQ_PROD), this.prod.index));
    await Promise.all(writes);
    const cons = await q.readl(reg(REG.CMDQ_CONS));
    const err = (cons >> 24n) & 0x7fn;
    if (err !== 0n || cons !== this.prod.index) {
      const gerror = await q.readl(reg(REG.GERROR));
      throw new QtestError(`SMMU command queue stopped: CMDQ_CONS 0x${cons.toString(16)} (PROD 0x${this.prod.index.toString(16)}), GERROR 0x${gerror.toString(16)}`);
    }
  }
}

/** An event record (spec 7.3): its type, StreamID, input address and whether it was a read. */
export interface SmmuEvent { type: number; sid: number; addr: bigint; read: boolean }

export const F_TRANSLATION = 0x10;
export const F_ADDR_SIZE = 0x11;
export const F_ACCESS = 0x12;
export const F_PERMISSION = 0x13;

export class EventQueue {
  private readonly cons: Ring;

  constructor(private readonly qtest: Qtest, private readonly base: bigint, log2: bigint) { this.cons = new Ring(log2); }

  get baseRegister(): bigint { return this.base | this.cons.log2; }

  /** Every record QEMU wrote since the last drain, oldest first; the queue is empty after. */
  async drain(): Promise<SmmuEvent[]> {
    const q = this.qtest;
    const prod = (await q.readl(reg(REG.EVENTQ_PROD))) & ((1n << (this.cons.log2 + 1n)) - 1n);
    const reads: Promise<Uint8Array>[] = [];
    while (this.cons.index !== prod) {
      reads.push(q.read(this.base + 32n * this.cons.slot, 32));
      this.cons.advance();
    }
    if (reads.length === 0) return [];
    const records = await Promise.all([...reads, q.writel(reg(REG.EVENTQ_CONS), this.cons.index).then(() => new Uint8Array())]);
    return records.slice(0, -1).map((r) => {
      const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
      return {
        type: v.getUint32(0, true) & 0xff,
        sid: v.getUint32(4, true),
        read: ((v.getUint32(12, true) >> 3) & 1) === 1,
        addr: v.getBigUint64(16, true),
      };
    });
  }
}
