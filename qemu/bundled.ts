// What the QEMU runners (conform.ts, diff-versions.ts) share: the bundled QEMU backends by
// version and IOMMU, and taking their own flags out of the arguments they pass on.
import { viommu } from '../families/viommu.ts';

/** A bundled backend named `qemu-VERSION:IOMMU`. */
export interface QemuBackend { name: string; version: string; iommu: string }

export function bundledQemu(): QemuBackend[] {
  return viommu.bundled.flatMap((b) => {
    const m = /^qemu-([\d.]+):(.+)$/.exec(b.name);
    return m ? [{ name: b.name, version: m[1]!, iommu: m[2]! }] : [];
  });
}

/** Takes every `--flag VALUE` out of `argv`: its values, and what is left. */
export function takeFlag(argv: readonly string[], flag: string): [string[], string[]] {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag && i + 1 < argv.length) values.push(argv[++i]!);
    else rest.push(argv[i]!);
  }
  return [values, rest];
}
