// The machine under test: QEMU's virt board with an SMMUv3 and one edu device per endpoint,
// started over qtest, and the guest-side programming the backend builds on: PCI set-up through
// ECAM, the stream table, the command and event queues, and edu's DMA engine.
import type { QemuCommand } from '../build.ts';
import type { RawFault } from '../machine.ts';
import { eduDma } from '../edu.ts';
import { Qtest, QtestError } from '../qtest.ts';
import { commandsFor, cfgiAll, tlbiAll, type Command } from './commands.ts';
import { writeHaltA64 } from './firmware.ts';
import {
  COMMAND_QUEUE, CR0_CMDQEN, CR0_EVENTQEN, CR0_SMMUEN, ECAM_BASE, EDU_BARS, EDU_SLOTS, EDU_VENDOR_DEVICE, EVENT_QUEUE,
  GUEST_RAM, PAGE, QUEUE_LOG2, REG, SCRATCH_IOVA, SCRATCH_PAGE, SCRATCH_TABLES, SMMU_BASE, STREAM_TABLE, STRTAB_LOG2,
} from './layout.ts';
import { LPAE_FORMAT } from './lpae.ts';
import { CommandQueue, EventQueue, type SmmuEvent } from './queues.ts';
import { abortSte, bytesOf, steAddress, translateSte } from './stream-table.ts';
import type { InvalidateScope } from '../../spec/viommu/ops.ts';

const reg = (r: bigint) => SMMU_BASE + r;
const ecam = (slot: number, offset: bigint) => ECAM_BASE + (BigInt(slot) << 15n) + offset;
/** StreamID of an endpoint: its requester ID, bus 0. */
export const sidOf = (endpoint: number) => EDU_SLOTS[endpoint]! << 3;

export class Machine {
  readonly commands: CommandQueue;
  readonly events: EventQueue;
  /** IDR3.RIL: range invalidation. */
  ril = false;
  /** Records that are not faults of a DMA (a bad STE or CD): the adapter's own mistakes. */
  readonly strange: SmmuEvent[] = [];

  private constructor(readonly qtest: Qtest, private readonly firmware: { remove(): void }) {
    this.commands = new CommandQueue(qtest, COMMAND_QUEUE, QUEUE_LOG2);
    this.events = new EventQueue(qtest, EVENT_QUEUE, QUEUE_LOG2);
  }

  static async start(qemu: QemuCommand): Promise<Machine> {
    const firmware = writeHaltA64();
    const edus = EDU_SLOTS.flatMap((slot) => ['-device', `edu,addr=0x${slot.toString(16)},dma_mask=0xffffffffffffffff`]);
    const qtest = new Qtest(qemu.argv, [
      // A halted TCG CPU on every version, as intel-iommu: edu's DMA timer then fires by itself.
      '-machine', 'virt,iommu=smmuv3,highmem=off', '-cpu', 'cortex-a57', '-m', GUEST_RAM,
      '-accel', 'tcg', '-bios', firmware.path, '-icount', 'shift=0,sleep=off', ...edus,
    ]);
    const machine = new Machine(qtest, firmware);
    try {
      await machine.boot();
    } catch (err) {
      await machine.dispose();
      throw err;
    }
    return machine;
  }

  private async boot(): Promise<void> {
    const q = this.qtest;
    for (const [i, slot] of EDU_SLOTS.entries()) {
      const id = await q.readl(ecam(slot, 0n));
      if (Number(id) !== EDU_VENDOR_DEVICE) throw new QtestError(`no edu device at slot ${slot} (id 0x${id.toString(16)})`);
      await q.writel(ecam(slot, 0x10n), EDU_BARS[i]!);
      await q.cmd(`writew 0x${ecam(slot, 0x04n).toString(16)} 0x6`); // memory space, bus master
    }
    const idr5 = await q.readl(reg(REG.IDR5));
    if (!((idr5 >> 4n) & 1n)) throw new QtestError(`SMMU IDR5 0x${idr5.toString(16)}: no 4 KiB granule`);
    this.ril = ((await q.readl(reg(REG.IDR3))) >> 10n & 1n) === 1n;
    await this.writeScratchTables();
    // Every stream aborts until attached, as a driver leaves streams with no domain.
    const all = Array.from({ length: 1 << Number(STRTAB_LOG2) }, () => abortSte()).flat();
    await q.write(STREAM_TABLE, bytesOf(all));
    await q.writeq(reg(REG.STRTAB_BASE), STREAM_TABLE);
    await q.writel(reg(REG.STRTAB_BASE_CFG), STRTAB_LOG2); // FMT linear
    await q.writeq(reg(REG.CMDQ_BASE), this.commands.baseRegister);
    await q.writeq(reg(REG.EVENTQ_BASE), this.events.baseRegister);
    for (const r of [REG.CMDQ_PROD, REG.CMDQ_CONS, REG.EVENTQ_PROD, REG.EVENTQ_CONS]) await q.writel(reg(r), 0);
    const cr0 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN;
    await q.writel(reg(REG.CR0), cr0);
    const ack = await q.readl(reg(REG.CR0ACK));
    if (Number(ack) !== cr0) throw new QtestError(`SMMU CR0ACK 0x${ack.toString(16)} after CR0 0x${cr0.toString(16)}`);
    await this.commands.submit([cfgiAll(), tlbiAll()]);
  }

  /** SCRATCH_IOVA -> SCRATCH_PAGE through three tables every domain's root slot 256 leads to. */
  private async writeScratchTables(): Promise<void> {
    const [l1, l2, l3] = SCRATCH_TABLES as [bigint, bigint, bigint];
    for (const t of SCRATCH_TABLES) await this.qtest.memset(t, PAGE);
    const idx = (level: number) => (SCRATCH_IOVA >> (12n + 9n * BigInt(level))) & 511n;
    await this.qtest.writeq(l1 + 8n * idx(2), LPAE_FORMAT.table(l2, 'rw'));
    await this.qtest.writeq(l2 + 8n * idx(1), LPAE_FORMAT.table(l3, 'rw'));
    await this.qtest.writeq(l3 + 8n * idx(0), LPAE_FORMAT.leaf(SCRATCH_PAGE, 'rw', 0));
  }

  /** The endpoint's STE: translating through the CD at `cd`, or aborting (null). */
  writeSte(endpoint: number, cd: bigint | null): Promise<string> {
    return this.qtest.write(steAddress(sidOf(endpoint)), bytesOf(cd === null ? abortSte() : translateSte(cd)));
  }

  /** Every STE aborting again (a reset in place). */
  abortAll(): Promise<string[]> { return Promise.all(EDU_SLOTS.map((_, e) => this.writeSte(e, null))); }

  invalidate(scope: InvalidateScope | Command[]): Promise<void> {
    return this.commands.submit(Array.isArray(scope) ? scope : commandsFor(scope, sidOf, this.ril));
  }

  /** One edu DMA through the SMMU (edu.ts). */
  eduDma(endpoint: number, direction: 'to-buffer' | 'from-buffer', addr: bigint, count = 1n, before: Promise<unknown>[] = []): Promise<void> {
    return eduDma(this.qtest, EDU_BARS[endpoint]!, direction, addr, count, before);
  }

  /** The event queue drained: fault records of DMAs; any other record is kept in `strange`. */
  async takeFaults(): Promise<RawFault[]> {
    const out: RawFault[] = [];
    for (const e of await this.events.drain()) {
      if (e.type >= 0x10 && e.type <= 0x13) out.push({ sid: e.sid, addr: e.addr, access: e.read ? 'read' : 'write', reason: e.type });
      else this.strange.push(e);
    }
    return out;
  }

  /** The scratch byte's guest-physical address and the IOVA that reaches it. */
  readonly scratch = { pa: SCRATCH_PAGE, iova: SCRATCH_IOVA };

  async dispose(): Promise<void> {
    await this.qtest.dispose();
    this.firmware.remove();
  }
}
