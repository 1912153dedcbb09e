// The self-built iommufd kernels (kernel/iommufd/) booted by the kernel backend. Opt-in: the
// first run builds them (15-20 min on 2 cores, root for apt-get), then each boot takes ~10 s:
//   VFIO_IOMMUFD_KERNEL_TEST=1 npx vitest run test/kernel-iommufd.test.ts
// Per variant: the guest has /dev/iommu and the cdev /dev/vfio/devices/vfio0, and /dev/vfio/vfio
// is VFIO's container (legacy) or iommufd's (compat). On legacy the type1 suite passes (--runs 2):
// /dev/vfio/vfio there is the real type1 driver, as on the stock kernel.
import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const enabled = process.env.VFIO_IOMMUFD_KERNEL_TEST === '1';
const backend = (kernel: string): string[] => ['--import', 'tsx', 'kernel/vm/backend.ts', '--iommu', 'intel-iommu', '--kernel', kernel];

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** The `check: KEY VALUE` lines of kernel/iommufd/devices.c, run as the guest's payload. */
async function deviceCheck(kernel: string): Promise<Map<string, string>> {
  const r = await run([...backend(kernel), '--guest-program', 'kernel/iommufd/devices.c']);
  const lines = [...r.stdout.matchAll(/^check: (\S+)(?: (.*))?$/gm)];
  expect(lines.map((m) => m[1]), `${r.stdout}\n${r.stderr}`).toContain('done');
  return new Map(lines.map((m) => [m[1]!, m[2] ?? '']));
}

describe.skipIf(!enabled)('iommufd kernels: the character devices', () => {
  for (const [kernel, container] of [['iommufd-legacy', /^vfio EINVAL$/], ['iommufd-compat', /^iommufd$/]] as const) {
    test(`${kernel}: /dev/iommu, /dev/vfio/devices/vfio0, and /dev/vfio/vfio served by ${kernel.endsWith('legacy') ? 'VFIO' : 'iommufd'}`, async () => {
      const c = await deviceCheck(kernel);
      expect(c.get('/dev/iommu')).toBe('present');
      expect(c.get('/dev/vfio/devices/vfio0')).toBe('present');
      expect(c.get('/dev/vfio/vfio')).toBe('present');
      expect(c.get('iommufd-ioas-alloc')).toBe('ok');
      expect(c.get('vfio-container')).toMatch(container);
    }, 3_600_000); // the first run builds the kernels
  }
});

describe.skipIf(!enabled)('iommufd-legacy kernel: the type1 suite on /dev/vfio/vfio', () => {
  test('run --runs 2 passes, as on the stock kernel', async () => {
    const r = await run(['--import', 'tsx', 'harness/cli/main.ts', 'run', '--runs', '2', '--timeout', '300',
      '--backend', `exec:node --import tsx ${backend('iommufd-legacy').slice(2).join(' ')}`]);
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.stdout, out).toMatch(/^vfio-conform: \d+ passed, 0 failed, \d+ skipped$/m);
    expect(r.code, out).toBe(0);
  }, 3_600_000);
});
