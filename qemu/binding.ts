// How an endpoint is bound to a domain's table, and how bindings and cached translations are
// invalidated: legacy mode's context entries here, scalable mode's PASID entries in scalable.ts.
import type { InvalidateScope } from '../spec/viommu/ops.ts';
import { contextGlobal, descriptorsFor, didOf, iotlbGlobal } from './descriptors.ts';
import { devfnOf, type Machine } from './machine.ts';
import { ScalableBinding } from './scalable.ts';

export interface Binding {
  /** `endpoint` translates through the table at `root`, tagged with `domain`'s id. */
  attach(endpoint: number, domain: number, root: bigint): Promise<void>;
  detach(endpoint: number): Promise<void>;
  invalidate(scope: InvalidateScope): Promise<void>;
  /** A reset in place: no endpoint bound, nothing cached. */
  clear(): Promise<void>;
}

/** Legacy mode: the context entry holds the second-level root and the domain id. */
class LegacyBinding implements Binding {
  constructor(private readonly machine: Machine) {}

  attach(endpoint: number, domain: number, root: bigint): Promise<void> {
    return this.machine.writeContext(endpoint, { slptptr: root, did: Number(didOf(domain)) });
  }

  detach(endpoint: number): Promise<void> { return this.machine.writeContext(endpoint, null); }

  invalidate(scope: InvalidateScope): Promise<void> {
    return this.machine.invalidate(descriptorsFor(scope, devfnOf, this.machine.mamv));
  }

  async clear(): Promise<void> {
    // No context entry, then nothing cached: QEMU's IOTLB and context cache are empty again.
    await this.machine.clearContexts();
    await this.machine.invalidate([contextGlobal(), iotlbGlobal()]);
  }
}

/** The binding of `machine`'s mode, its fixed structures written. */
export async function bindingFor(machine: Machine, endpoints: number): Promise<Binding> {
  if (machine.mode === 'legacy') return new LegacyBinding(machine);
  const binding = new ScalableBinding(machine, endpoints);
  await binding.setup();
  return binding;
}
