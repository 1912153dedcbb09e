// The bundled emulated-IOMMU backends: one simulator per programming model and their mutants.
import { MPC_MUTANTS, MPC_SIMS } from './mpc/index.ts';
import { TABLE_MUTANTS_BUNDLED, TABLE_SIMS } from './tables/index.ts';
import { VIRTIO_MUTANTS, VIRTIO_SIMS } from './virtio/index.ts';

export const VIOMMU_BUNDLED = [...TABLE_SIMS, ...VIRTIO_SIMS, ...MPC_SIMS, ...TABLE_MUTANTS_BUNDLED, ...VIRTIO_MUTANTS, ...MPC_MUTANTS];
