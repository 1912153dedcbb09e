// Stream table entries and context descriptors (Arm SMMUv3 specification, 5.2 and 5.4), as
// QEMU 7.2's smmuv3.c decodes them (decode_ste, decode_cd): stage 1 only, one CD per STE.
//
// A domain is one context descriptor: its own ASID and TTB0, a 4 KiB granule and T0SZ 16 (four
// levels). Attaching an endpoint points its STE at the domain's CD; detaching writes an abort
// STE, what a driver writes for a stream with no domain.
import { CONTEXT_DESCRIPTORS, STREAM_TABLE } from './layout.ts';

export const STE_BYTES = 64n;
export const CD_BYTES = 64n;

/** STE.Config: abort everything; stage-1 translate, stage-2 bypass. */
const CONFIG_ABORT = 0b000n;
const CONFIG_S1 = 0b101n;

/** Little-endian 64-bit words as bytes, for one qtest `write`. */
export function bytesOf(words: bigint[]): Uint8Array {
  const out = new Uint8Array(8 * words.length);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setBigUint64(8 * i, w, true));
  return out;
}

export const steAddress = (sid: number): bigint => STREAM_TABLE + STE_BYTES * BigInt(sid);
export const cdAddress = (domain: number): bigint => CONTEXT_DESCRIPTORS + CD_BYTES * BigInt(domain);
/** ASID 0 is left unused: domain d has ASID d + 1. */
export const asidOf = (domain: number): bigint => BigInt(domain + 1);

/** V, Config abort: a transaction is terminated, and no event is recorded (spec 5.2, STE.Config). */
export const abortSte = (): bigint[] => [1n | (CONFIG_ABORT << 1n), ...Array<bigint>(7).fill(0n)];

/** V, Config stage 1, S1Fmt linear with S1CDMax 0: the one CD at `cd`. */
export const translateSte = (cd: bigint): bigint[] => [1n | (CONFIG_S1 << 1n) | (cd & 0xffffffffffc0n), ...Array<bigint>(7).fill(0n)];

/**
 * The CD of a domain: T0SZ 16, TG0 4 KiB, EPD1 (no TTB1 walks), V; IPS 48 bits, AA64, R (faults
 * are recorded in the event queue), A (faulting transactions are aborted, not stalled), ASID.
 */
export function contextDescriptor(ttb0: bigint, asid: bigint): bigint[] {
  const t0sz = 16n;
  const word0 = t0sz | (1n << 30n) | (1n << 31n);
  const word1 = 5n | (1n << 9n) | (1n << 13n) | (1n << 14n) | (asid << 16n);
  return [word0 | (word1 << 32n), ttb0 & 0xffffffffffff0n, 0n, 0n, 0n, 0n, 0n, 0n];
}
