// QEMU's own VFIO device behind an emulated IOMMU, as a viommu backend: QEMU 11.1's
// vfio-user-pci client talks to the vfio-user server here, so every DMA_MAP and DMA_UNMAP its
// VFIO container makes on IOMMU notifications is seen (qemu/README.md).
//
//   --backend ./qemu/vfio-user/backend.ts[:iommu=intel-iommu][,version=11.1]
//
// iommu picks the IOMMU in front of the device: intel-iommu (caching mode, vtd.ts) or
// virtio-iommu (boot-bypass=off, virtio.ts), with the same server. version: 11.1 only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../spec/viommu/backend.ts';
import { qemuCommand } from '../build.ts';
import { Machine } from '../machine.ts';
import { VfioUserServer } from './server.ts';
import { VirtioVfioUser } from './virtio.ts';
import { declaration, VtdVfioUser } from './vtd.ts';

const IOMMUS = ['intel-iommu', 'virtio-iommu'] as const;

export default async function create(options: Record<string, string>): Promise<Backend> {
  const unknown = Object.keys(options).filter((k) => k !== 'iommu' && k !== 'version');
  if (unknown.length) throw new Error(`unknown option ${unknown.join(', ')} (known: iommu, version)`);
  // vfio-user-pci arrived in QEMU 10.1: of the versions there are, 11.1 has it.
  if ((options.version ?? '11.1') !== '11.1') throw new Error(`version=${options.version}: vfio-user-pci needs QEMU 11.1`);
  const iommu = options.iommu ?? 'intel-iommu';
  if (!(IOMMUS as readonly string[]).includes(iommu)) throw new Error(`iommu=${iommu}: expected ${IOMMUS.join(' or ')}`);
  const qemu = qemuCommand('11.1', 'x86_64');
  const dir = mkdtempSync(join(tmpdir(), 'vfio-user-'));
  if (iommu === 'virtio-iommu') {
    try {
      return await VirtioVfioUser.start(qemu, dir, () => rmSync(dir, { recursive: true, force: true }));
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const server = await VfioUserServer.listen(join(dir, 'device.sock'));
  const closeAll = async (machine?: Machine) => {
    await machine?.dispose();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  };
  let machine: Machine | undefined;
  try {
    machine = await Machine.start(qemu, true, { vfioUser: server.path });
    const backend = new VtdVfioUser(machine, server, declaration(qemu, machine.pageSizes()), () => rmSync(dir, { recursive: true, force: true }));
    await backend.build();
    return backend;
  } catch (err) {
    await closeAll(machine);
    throw err;
  }
}
