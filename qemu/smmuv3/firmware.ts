// The firmware QEMU's virt machine boots: an AArch64 image whose reset vector (address 0 of the
// flash) stops the CPU, as halt-bios.ts does for x86.
//
// QEMU 7.2 as Debian ships it has no qtest accelerator, so the CPU runs under TCG; waiting in
// `wfi` with `-icount shift=0,sleep=off`, virtual time jumps to the next timer (edu's DMA timer)
// and nothing executes behind the test's back.
import { writeHaltBios } from '../halt-bios.ts';

const WFI = 0xd503207f;
/** `b .-4`: back to the wfi (an interrupt or event may end a wait; DAIF is masked at reset). */
const BRANCH_BACK = 0x17ffffff;

export function haltA64(): Uint8Array {
  const image = new Uint8Array(0x1000);
  const view = new DataView(image.buffer);
  view.setUint32(0, WFI, true);
  view.setUint32(4, BRANCH_BACK, true);
  return image;
}

export const writeHaltA64 = () => writeHaltBios(haltA64());
