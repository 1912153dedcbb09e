// Which QEMU runs: a version and a target system. Debian 12's own 7.2 comes from its archive,
// installed on first use; 11.1 runs from a Debian trixie tree cached on this machine (trixie.ts).
//
// A backend asks for `qemuCommand(version, system)` and starts what it answers: the argv that
// precedes QEMU's own options, and whether the build has the qtest accelerator (7.2 as Debian
// ships it has not: its backends halt a TCG CPU instead).
import { ensureQemu } from './install.ts';
import { treeCommand, trixieTree } from './trixie.ts';

export const QEMU_VERSIONS = ['7.2', '11.1'] as const;
export type QemuVersion = (typeof QEMU_VERSIONS)[number];
export type QemuSystem = 'x86_64' | 'aarch64' | 'arm';

export interface QemuCommand {
  version: QemuVersion;
  system: QemuSystem;
  /** The program and the arguments that precede QEMU's options. */
  argv: string[];
  /** `-accel qtest` works: the CPU never runs and `clock_step` drives virtual time. */
  qtestAccel: boolean;
}

/** Debian's package of each system emulator. */
export const DEBIAN_PACKAGE: Record<QemuSystem, string> = {
  x86_64: 'qemu-system-x86',
  aarch64: 'qemu-system-arm',
  arm: 'qemu-system-arm',
};

/** The version a `version=` option names; throws one line for any other. */
export function parseVersion(text: string | undefined): QemuVersion {
  const v = text ?? '7.2';
  if (!(QEMU_VERSIONS as readonly string[]).includes(v)) throw new Error(`version=${v}: expected ${QEMU_VERSIONS.join(' or ')}`);
  return v as QemuVersion;
}

/** The command that starts `system`'s emulator of `version`, installing what is missing. */
export function qemuCommand(version: QemuVersion, system: QemuSystem): QemuCommand {
  if (version === '11.1') return { version, system, argv: treeCommand(trixieTree(), `qemu-system-${system}`), qtestAccel: true };
  // VFIO_CONFORM_QEMU_BINARY names another x86_64 binary (a build of one's own).
  const override = system === 'x86_64' ? process.env.VFIO_CONFORM_QEMU_BINARY : undefined;
  const binary = override ?? `/usr/bin/qemu-system-${system}`;
  ensureQemu(binary, override === undefined, DEBIAN_PACKAGE[system]);
  return { version, system, argv: [binary], qtestAccel: false };
}
