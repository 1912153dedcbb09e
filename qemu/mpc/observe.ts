// Where a `dma` went: into the region's memory, or into the MPC's blocked space.
//
// A probe is one byte moved by the PL081 as a Secure master between scratch RAM and the
// region's Secure alias (a Secure transaction) or Non-secure alias (a Non-secure one). The
// byte it meets is planted first by both kinds of access, a Secure one (qtest's own, which
// tz_mpc_attrs_to_index takes as Secure) and a Non-secure DMA, so whatever the block's LUT bit
// says one of them lands and the probe does not depend on what the adapter believes the LUT is.
// Tokens are fresh each time (1..254; 0 is what a blocked read gives, 0xff marks a byte no
// transfer wrote). Then the interrupt is cleared, the probe runs, and INT_STAT tells whether
// the MPC blocked it (tz_mpc_handle_block): a read that met the token and left INT_STAT clear
// reached memory; one that got 0 and set INT_STAT with INT_INFO1 = its address and INT_INFO2's
// HNONSEC = its security was blocked. A write is judged the same way by the byte read back by
// both kinds of access afterwards. Anything else is not a state the MPC has, and throws.
import type { DmaOutcome } from '../../spec/viommu/ops.ts';
import type { Bus } from './bus.ts';
import { MPC, REGION_NS, REGION_S, SCRATCH_BYTES } from './layout.ts';
import type { Pl081 } from './pl081.ts';
import type { MpcRegisters } from './registers.ts';

const UNWRITTEN = 0xff;
const PLANT = SCRATCH_BYTES;
const OUT = SCRATCH_BYTES + 1n;
const IN = SCRATCH_BYTES + 2n;
const BACK = SCRATCH_BYTES + 3n;
/** INT_INFO2.HNONSEC (tz-mpc.c). */
const HNONSEC = 1 << 16;

const hex = (v: bigint | number): string => '0x' + v.toString(16);

export class Observer {
  private last = 0;

  constructor(private readonly bus: Bus, private readonly dma: Pl081, private readonly mpc: MpcRegisters) {}

  private token(): number {
    this.last = (this.last % 254) + 1;
    return this.last;
  }

  private alias(secure: boolean): bigint { return secure ? REGION_S : REGION_NS; }

  private byte(src: bigint, dst: bigint): void {
    this.dma.run({ src, dst, count: 1, width: 1, srcIncrement: false, dstIncrement: false });
  }

  /** `value` at region byte `x` whatever its block's LUT bit; then the interrupt cleared. */
  private plant(x: bigint, value: number): void {
    this.bus.writeb(REGION_S + x, value);
    this.bus.writeb(PLANT, value);
    this.byte(PLANT, REGION_NS + x);
    this.mpc.clearInterrupt();
  }

  /** Whether the MPC blocked what ran since the interrupt was cleared; checks what it captured. */
  private async blocked(x: bigint, secure: boolean, what: string): Promise<boolean> {
    const [stat, , , info1, info2] = await this.mpc.readWords(MPC.INT_STAT, 5);
    if (!(stat! & 1)) return false;
    const nonsecure = (info2! & HNONSEC) !== 0;
    if (BigInt(info1!) !== x || nonsecure === secure) {
      throw new Error(`${what}: MPC captured INT_INFO1 ${hex(info1!)} INT_INFO2 ${hex(info2!)}, not this access`);
    }
    return true;
  }

  async read(x: bigint, secure: boolean): Promise<DmaOutcome> {
    const what = `${secure ? 'secure' : 'non-secure'} read of ${hex(x)}`;
    const token = this.token();
    this.plant(x, token);
    this.bus.writeb(OUT, UNWRITTEN);
    this.byte(this.alias(secure) + x, OUT);
    const blocked = await this.blocked(x, secure, what);
    const got = await this.bus.readb(OUT);
    if (got === token && !blocked) return { ok: true, outcome: 'memory', addr: x };
    if (got === 0 && blocked) return { ok: true, outcome: 'blocked' };
    throw new Error(`${what}: got ${hex(got)} (planted ${hex(token)}) with INT_STAT ${blocked ? 'set' : 'clear'}`);
  }

  async write(x: bigint, secure: boolean): Promise<DmaOutcome> {
    const what = `${secure ? 'secure' : 'non-secure'} write of ${hex(x)}`;
    const before = this.token();
    const token = this.token();
    this.plant(x, before);
    this.bus.writeb(IN, token);
    this.byte(IN, this.alias(secure) + x);
    const blocked = await this.blocked(x, secure, what);
    // Read back by both kinds of access: the one the LUT lets through sees the byte, the other 0.
    this.bus.writeb(BACK, UNWRITTEN);
    this.byte(REGION_NS + x, BACK);
    await this.dma.checkDone();
    const viaNs = await this.bus.readb(BACK);
    const viaS = await this.bus.readb(REGION_S + x);
    const seen = viaS === 0 ? viaNs : viaNs === 0 ? viaS : -1;
    if (seen === token && !blocked) return { ok: true, outcome: 'memory', addr: x };
    if (seen === before && blocked) return { ok: true, outcome: 'blocked' };
    throw new Error(`${what}: read back ${hex(viaS)} (secure) ${hex(viaNs)} (non-secure), planted ${hex(before)}, wrote ${hex(token)}, INT_STAT ${blocked ? 'set' : 'clear'}`);
  }
}
