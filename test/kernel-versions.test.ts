// What differs between the two real type1 kernels (kernel/vm/debian-kernel.ts), measured on
// them: Linux 6.12 predates the v6.18 series "vfio/type1: handle DMA map/unmap up to the
// addressable limit" and 6012379ede6a "vfio/type1: sanitize for overflow using check_*_overflow";
// Linux 7.3 has both. Opt-in, it boots four VMs (each kernel behind each IOMMU):
//   VFIO_KERNEL_TEST=1 npx vitest run test/kernel-versions.test.ts
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KernelPeer } from './support/kernel-peer.ts';

const enabled = process.env.VFIO_KERNEL_TEST === '1';
const hx = (n: bigint) => '0x' + n.toString(16);
const TOP_PAGE = (1n << 64n) - 0x1000n;

/** Per kernel: the wrap errno (T1-MAP-WRAP, T1-UNMAP-ARGS) and whether a mapping ending at 2^64 - 1
 *  is found by lookups (T1-MAP-OVERLAP, T1-UNMAP-TOP, T1-CLOSE-RELEASE). */
const KERNELS = [
  { kernel: 'debian-6.12', version: '6.12', wrapErrno: 'EINVAL', topFound: false },
  { kernel: 'debian-7.3', version: '7.3', wrapErrno: 'EOVERFLOW', topFound: true },
] as const;

for (const k of KERNELS) {
  for (const iommu of ['intel-iommu', 'virtio-iommu'] as const) {
    describe.skipIf(!enabled)(`${k.kernel}, ${iommu}`, () => {
      let peer: KernelPeer;
      let info: Record<string, any>;
      let arena: bigint;
      beforeAll(async () => {
        peer = new KernelPeer(['--iommu', iommu, '--kernel', k.kernel]);
        const hello = await peer.request({ type: 'hello', protocol: 1, suite: 'kernel-versions.test' });
        expect(hello.type, peer.stderr).toBe('hello');
        info = hello.info;
        arena = BigInt(info.host.arena.start);
      }, 300_000);
      afterAll(async () => {
        await peer.request({ type: 'bye' });
        peer.close();
        expect(await peer.exited()).toBe(0);
      });

      test('hello names the kernel: its major.minor in the name, its release in the description', () => {
        expect(info.name).toBe(`linux-${k.version}-${iommu}-type1v2`);
        expect(info.description.startsWith(`Linux ${k.version}.`), info.description).toBe(true);
      });

      test(`T1-MAP-WRAP, T1-UNMAP-ARGS: a range wrapping past 2^64 - 1 answers ${k.wrapErrno}`, async () => {
        await peer.request({ type: 'reset' });
        expect(await peer.execute([
          { op: 'mmap', proc: 0, vaddr: hx(arena), size: '0x2000', prot: 'rw', backing: 'anon' },
          { op: 'map', proc: 0, flags: 3, iova: hx(TOP_PAGE), vaddr: hx(arena), size: '0x2000' },
          { op: 'unmap', proc: 0, flags: 0, iova: hx(TOP_PAGE), size: '0x2000' },
          { op: 'counters' },
        ])).toEqual([{ ok: true }, { ok: false, errno: k.wrapErrno }, { ok: false, errno: k.wrapErrno }, { ok: true, lockedVm: ['0x0'] }]);
      });

      // only virtio-iommu's aperture reaches 2^64 - 1 (intel-iommu with aw-bits=48 ends at 2^48 - 1)
      if (iommu !== 'virtio-iommu') return;

      test(`T1-MAP-OVERLAP: a map over a mapping ending at 2^64 - 1 ${k.topFound ? 'answers EEXIST' : 'succeeds and pins twice (6.12 bug)'}`, async () => {
        await peer.request({ type: 'reset' });
        expect(await peer.execute([
          { op: 'mmap', proc: 0, vaddr: hx(arena), size: '0x2000', prot: 'rw', backing: 'anon' },
          { op: 'map', proc: 0, flags: 3, iova: hx(TOP_PAGE - 0x1000n), vaddr: hx(arena), size: '0x2000' },
          { op: 'map', proc: 0, flags: 3, iova: hx(TOP_PAGE), vaddr: hx(arena + 0x1000n), size: '0x1000' },
          { op: 'counters' },
        ])).toEqual([{ ok: true }, { ok: true },
          k.topFound ? { ok: false, errno: 'EEXIST' } : { ok: true },
          { ok: true, lockedVm: [k.topFound ? '0x2' : '0x3'] }]);
      });

      test(`T1-UNMAP-TOP, T1-CLOSE-RELEASE: a mapping ending at 2^64 - 1 ${k.topFound ? 'is unmapped and released' : 'is missed by unmap and leaks its pin on release (6.12 bug)'}`, async () => {
        await peer.request({ type: 'reset' });
        expect(await peer.execute([
          { op: 'mmap', proc: 0, vaddr: hx(arena), size: '0x1000', prot: 'rw', backing: 'anon' },
          { op: 'map', proc: 0, flags: 3, iova: hx(TOP_PAGE), vaddr: hx(arena), size: '0x1000' },
          { op: 'unmap', proc: 0, flags: 0, iova: hx(TOP_PAGE), size: '0x1000' },
          { op: 'map', proc: 0, flags: 3, iova: hx(TOP_PAGE), vaddr: hx(arena), size: '0x1000' },
          { op: 'closeContainer' },
          { op: 'counters' },
        ])).toEqual([{ ok: true }, { ok: true },
          { ok: true, unmapped: k.topFound ? '0x1000' : '0x0' },
          // 6.12: the unmap removed nothing, so the second map finds no overlap either (T1-MAP-OVERLAP)
          { ok: true },
          { ok: true },
          { ok: true, lockedVm: [k.topFound ? '0x0' : '0x2'] }]);
      });
    });
  }
}
