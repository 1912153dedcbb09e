// QEMU from Debian's archive, installed on first use: a fresh Debian 12 machine has none.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Makes sure `binary` exists, installing Debian's package `pkg` when it is the default path; throws one line. */
export function ensureQemu(binary: string, isDefault: boolean, pkg: string): void {
  if (existsSync(binary)) return;
  if (!isDefault) throw new Error(`${binary} (VFIO_CONFORM_QEMU_BINARY) does not exist`);
  if (process.getuid?.() !== 0) throw new Error(`${binary} is missing: install ${pkg} (apt-get install ${pkg}), or run once as root to have it installed`);
  process.stderr.write(`qemu: installing ${pkg} from Debian's archive\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', pkg]]) {
    const r = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: ${(r.stderr ?? '').trim().split('\n').pop() ?? r.error?.message ?? 'unknown error'}`);
  }
  if (!existsSync(binary)) throw new Error(`${pkg} is installed but ${binary} is still missing`);
}
