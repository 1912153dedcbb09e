// The kernel agent serving the iommufd family (kernel/agent/, agent.family=iommufd) on the
// self-built iommufd kernel, through the protocol. Opt-in: it boots a VM per IOMMU (the first
// run builds the kernel, 15-20 min):
//   VFIO_IOMMUFD_KERNEL_TEST=1 npx vitest run test/kernel-iommufd-agent.test.ts
// Expectations are iommufd's (drivers/iommu/iommufd, include/uapi/linux/iommufd.h) as the rule
// IDs of spec/iommufd/rule-ids.md state them, and the agent's scratch range behaving as a
// reserved region of the device (kernel/README.md).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KernelPeer } from './support/kernel-peer.ts';

const enabled = process.env.VFIO_IOMMUFD_KERNEL_TEST === '1';
const hx = (n: bigint): string => '0x' + n.toString(16);
const SCRATCH = { start: 0xfffff000n, last: 0x100000fffn };

for (const iommu of ['intel-iommu', 'virtio-iommu']) {
  describe.skipIf(!enabled)(`kernel agent, iommufd family, ${iommu}`, () => {
    let peer: KernelPeer;
    let info: Record<string, any>;
    let arena: bigint;
    beforeAll(async () => {
      peer = new KernelPeer(['--family', 'iommufd', '--kernel', 'iommufd-legacy', '--iommu', iommu]);
      const hello = await peer.request({ type: 'hello', protocol: 2, suite: 'kernel-iommufd-agent.test' });
      expect(hello.type, peer.stderr).toBe('hello');
      info = hello.info;
      arena = BigInt(info.host.arena.start);
    }, 3_600_000);
    afterAll(async () => {
      await peer.request({ type: 'bye' });
      peer.close();
      expect(await peer.exited()).toBe(0);
    });

    test('hello: family iommufd, one device with the geometry the kernel reports, the scratch among its reserved regions', async () => {
      expect(info).toMatchObject({ family: 'iommufd', profile: 'iommufd' });
      expect(info.devices).toHaveLength(1);
      const d = info.devices[0];
      expect(BigInt(d.pgsizes) & -BigInt(d.pgsizes)).toBe(0x1000n);
      expect(BigInt(d.aperture.start)).toBe(0n);
      expect(BigInt(d.aperture.last)).toBe(iommu === 'intel-iommu' ? (1n << 48n) - 1n : (1n << 64n) - 1n);
      const reserved = d.reserved.map((r: any) => [BigInt(r.start), BigInt(r.last)]);
      expect(reserved).toContainEqual([0xfee00000n, 0xfeefffffn]); // the x86 MSI window
      expect(reserved).toContainEqual([SCRATCH.start, SCRATCH.last]);
      expect(d.hwInfoType).toBe(iommu === 'intel-iommu' ? 1 : 0);
      expect(info.capabilities).toEqual(expect.arrayContaining(['dma', 'dmaWrite', 'cpuRead', 'rlimit', 'capIpcLock', 'rlimitMode', 'pinnedVm', 'hwInfo']));
      expect((await peer.request({ type: 'hello', protocol: 1, suite: 'kernel-iommufd-agent.test' })).type).toBe('error');
    });

    test('map, DMA through the attached domain, overlap EEXIST, split unmap ENOENT, VmPin not VmLck, blocked after unmap and detach', async () => {
      expect((await peer.request({ type: 'reset' })).type).toBe('reset');
      const r = await peer.execute([
        { op: 'mmap', vaddr: hx(arena), size: '0x2000', prot: 'rw', backing: 'anon' },
        { op: 'cpuWrite', vaddr: hx(arena), token: '0xabc' },
        { op: 'ioasAlloc', ioas: 0 },
        { op: 'dmaRead', dev: 0, iova: '0x100000' }, // unbound: no DMA, a fault
        { op: 'bind', dev: 0 },
        { op: 'attach', dev: 0, ioas: 0 },
        { op: 'dmaRead', dev: 0, iova: '0xfee00000' }, // the interrupt window, reserved
        { op: 'map', ioas: 0, flags: 7, iova: '0x100000', vaddr: hx(arena), length: '0x2000' },
        { op: 'counters' }, // IOMMUFD-ACCT-USER, IOMMUFD-ACCT-PINNED
        { op: 'dmaRead', dev: 0, iova: '0x100000' }, // IOMMUFD-DMA-REACH
        { op: 'dmaWrite', dev: 0, iova: '0x101000', token: '0x77' },
        { op: 'cpuRead', vaddr: hx(arena + 0x1000n) },
        { op: 'map', ioas: 0, flags: 7, iova: '0x101000', vaddr: hx(arena), length: '0x1000' }, // IOMMUFD-MAP-OVERLAP
        { op: 'unmap', ioas: 0, iova: '0x100000', length: '0x1000' }, // IOMMUFD-UNMAP-WHOLE
        { op: 'unmap', ioas: 0, iova: '0x100000', length: '0x2000' },
        { op: 'dmaRead', dev: 0, iova: '0x100000' }, // IOMMUFD-NO-STALE
        { op: 'counters' },
        { op: 'destroy', ioas: 0 }, // IOMMUFD-OBJ-DESTROY-BUSY
        { op: 'map', ioas: 0, flags: 7, iova: '0x100000', vaddr: hx(arena), length: '0x1000' },
        { op: 'detach', dev: 0 },
        { op: 'dmaRead', dev: 0, iova: '0x100000' }, // unattached: the blocking domain
        { op: 'destroy', ioas: 0 },
        { op: 'counters' },
        { op: 'destroy', ioas: 0 }, // IOMMUFD-OBJ-ID
      ]);
      expect(r).toEqual([
        { ok: true }, { ok: true }, { ok: true }, { ok: false, errno: 'EFAULT' }, { ok: true }, { ok: true },
        { ok: false, errno: 'EFAULT' }, { ok: true, iova: '0x100000' },
        { ok: true, lockedVm: '0x0', pinnedVm: '0x2' },
        { ok: true, token: '0xabc' }, { ok: true }, { ok: true, token: '0x77' },
        { ok: false, errno: 'EEXIST' }, { ok: false, errno: 'ENOENT' },
        { ok: true, unmapped: '0x2000' }, { ok: false, errno: 'EFAULT' },
        { ok: true, lockedVm: '0x0', pinnedVm: '0x0' },
        { ok: false, errno: 'EBUSY' },
        { ok: true, iova: '0x100000' }, { ok: true }, { ok: false, errno: 'EFAULT' }, { ok: true },
        { ok: true, lockedVm: '0x0', pinnedVm: '0x0' }, // IOMMUFD-OBJ-DESTROY
        { ok: false, errno: 'ENOENT' },
      ]);
    });

    test('the scratch range is reserved while the device is attached, and only then', async () => {
      await peer.request({ type: 'reset' });
      const at = hx(arena);
      const r = await peer.execute([
        { op: 'mmap', vaddr: at, size: '0x2000', prot: 'rw', backing: 'anon' },
        { op: 'ioasAlloc', ioas: 0 },
        { op: 'ioasAlloc', ioas: 1 },
        { op: 'bind', dev: 0 },
        { op: 'map', ioas: 1, flags: 7, iova: hx(SCRATCH.start), vaddr: at, length: '0x1000' }, // not attached: a plain area
        { op: 'attach', dev: 0, ioas: 1 }, // IOMMUFD-ATTACH-CONFLICT
        { op: 'attach', dev: 0, ioas: 0 },
        { op: 'map', ioas: 0, flags: 7, iova: hx(SCRATCH.start - 0x1000n), vaddr: at, length: '0x2000' }, // IOMMUFD-MAP-RESERVED
        { op: 'allowIovas', ioas: 0, ranges: [{ start: '0xff000000', last: hx(SCRATCH.start) }] }, // IOMMUFD-ALLOW-RESERVED (above the MSI window)
        { op: 'iovaRanges', ioas: 0 },
        { op: 'hwInfo', dev: 0 },
        { op: 'setRlimitMode', value: '0x1' }, // IOMMUFD-OPTION-RLIMIT: objects exist
        { op: 'closeCtx' },
        { op: 'getRlimitMode' },
        { op: 'hwInfo', dev: 0 }, // unbound again: device id 0 names nothing
        { op: 'setRlimitMode', value: '0x1' },
        { op: 'getRlimitMode' },
      ]);
      expect(r.slice(0, 9)).toEqual([
        { ok: true }, { ok: true }, { ok: true }, { ok: true }, { ok: true, iova: hx(SCRATCH.start) },
        { ok: false, errno: 'EADDRINUSE' }, { ok: true }, { ok: false, errno: 'EINVAL' }, { ok: false, errno: 'EADDRINUSE' },
      ]);
      const ranges = r[9]!.ranges.map((x: any) => [BigInt(x.start), BigInt(x.last)]);
      expect(r[9]!.alignment).toBe('0x1000');
      for (const [s, l] of ranges) expect(l < SCRATCH.start || s > SCRATCH.last, `${hx(s)}-${hx(l)}`).toBe(true);
      expect(ranges).toContainEqual([0x100001000n, iommu === 'intel-iommu' ? (1n << 48n) - 1n : (1n << 64n) - 1n]);
      expect(r[10]).toMatchObject({ ok: true, dataType: iommu === 'intel-iommu' ? 1 : 0 });
      expect(r.slice(11)).toEqual([
        { ok: false, errno: 'EBUSY' }, { ok: true }, { ok: true, value: '0x0' }, { ok: false, errno: 'ENOENT' },
        { ok: true }, { ok: true, value: '0x1' },
      ]);
    });

    test('a crashed case process is an error reply, and reset recovers', async () => {
      await peer.request({ type: 'reset' });
      const crash = await peer.request({ type: 'execute', ops: [{ op: 'agentCrash' }] });
      expect(crash.type).toBe('error');
      expect((await peer.request({ type: 'reset' })).type).toBe('reset');
      expect(await peer.execute([{ op: 'counters' }, { op: 'getRlimitMode' }])).toEqual([
        { ok: true, lockedVm: '0x0', pinnedVm: '0x0' }, { ok: true, value: '0x0' },
      ]);
    });
  });
}
