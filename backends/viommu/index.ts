// The bundled emulated-IOMMU backends: one simulator per programming model and their mutants.
import { MPC_MUTANTS, MPC_SIMS } from './mpc/index.ts';
import { VIRTIO_MUTANTS, VIRTIO_SIMS } from './virtio/index.ts';

export const VIOMMU_BUNDLED = [...VIRTIO_SIMS, ...MPC_SIMS, ...VIRTIO_MUTANTS, ...MPC_MUTANTS];
