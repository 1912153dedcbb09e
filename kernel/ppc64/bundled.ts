// The sPAPR family's real-kernel backends, for families/spapr.ts: Debian's ppc64le Linux 6.12 in
// a pseries guest (kernel/ppc64/backend.ts), one name per IOMMU type.
import { fileURLToPath } from 'node:url';
import { tsProgram } from '../../families/runner.ts';

export const PPC64_RUNNER = fileURLToPath(new URL('./backend.ts', import.meta.url));

const linux = (profile: 'v2' | 'v1') => ({
  name: `linux-spapr-${profile}@pseries`,
  description: `Linux 6.12 (Debian ppc64le) ${profile === 'v2' ? 'VFIO_SPAPR_TCE_v2_IOMMU' : 'VFIO_SPAPR_TCE_IOMMU'} in a pseries guest (QEMU TCG), one edu device per PHB`,
  kind: 'real' as const,
  command: `${tsProgram(PPC64_RUNNER)} --profile ${profile}`,
  // The first request waits for the guest to boot under TCG: about 20 s alone, over a minute on
  // a loaded host.
  timeoutMs: 600_000,
  note: 'boots a ppc64 VM under TCG; needs root for apt-get on first use',
});

/** linux-spapr-v2@pseries and linux-spapr-v1@pseries. */
export const SPAPR_KERNEL_BACKENDS = [linux('v2'), linux('v1')];
