// The firmware QEMU boots instead of SeaBIOS: 64 KiB whose reset vector stops the CPU.
//
// QEMU 7.2 as Debian ships it has no qtest accelerator, so the CPU runs under TCG; halted with
// interrupts off and with `-icount shift=0,sleep=off`, virtual time jumps straight to the next
// timer (the edu device's DMA timer) and nothing executes behind the test's back.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SIZE = 0x10000;
/** The reset vector: 16 bytes below 4 GiB, the last 16 bytes of the image. */
const RESET_VECTOR = SIZE - 16;

/** cli; hlt; jmp back to the hlt (a hlt can be left by an NMI or SMI). */
export function haltBios(): Uint8Array {
  const image = new Uint8Array(SIZE).fill(0xff);
  image.set([0xfa, 0xf4, 0xeb, 0xfd], RESET_VECTOR);
  return image;
}

/** The image (this one, or another target's) in a fresh temporary directory; `remove` deletes both. */
export function writeHaltBios(image: Uint8Array = haltBios()): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'vfio-conform-qemu-'));
  const path = join(dir, 'halt.bin');
  writeFileSync(path, image);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
