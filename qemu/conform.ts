// `npm run conform:qemu`: the family against every bundled QEMU backend, with each backend's
// expectations file (expectations/<name>.json: what QEMU is known to break, and why) when it
// has one. Other arguments go to `vfio-conform run`.
//
//   node --import tsx qemu/conform.ts [--version 7.2|11.1] [--only IOMMU] [run options]
import { conformBundled } from '../harness/conform-bundled.ts';
import { QEMU_VERSIONS } from './build.ts';
import { bundledQemu, takeFlag } from './bundled.ts';

function main(argv: string[]): number {
  const [versions, afterVersion] = takeFlag(argv, '--version');
  const [only, rest] = takeFlag(afterVersion, '--only');
  const bad = versions.find((v) => !(QEMU_VERSIONS as readonly string[]).includes(v));
  if (bad) return usage(`--version ${bad}: expected ${QEMU_VERSIONS.join(' or ')}`);
  const names = bundledQemu()
    .filter((b) => (versions.length === 0 || versions.includes(b.version)) && (only.length === 0 || only.includes(b.iommu)))
    .map((b) => b.name);
  if (names.length === 0) return usage(`no bundled QEMU backend matches${versions.length ? ` --version ${versions.join(',')}` : ''}${only.length ? ` --only ${only.join(',')}` : ''}`);
  return conformBundled(names, rest);
}

function usage(message: string): number {
  process.stderr.write(`conform:qemu: ${message}\n`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
