// kernel/iommufd: the check of a built kernel's .config against the fragments, and the cache key.
import * as fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { kernelDir } from '../kernel/iommufd/build.ts';
import { missingOption, parseConfig } from '../kernel/iommufd/config-check.ts';

const fragment = (n: string) => fs.readFileSync(new URL(`../kernel/iommufd/${n}.config`, import.meta.url), 'utf8');
const common = fragment('common');

/** A .config that has exactly what the fragments set. */
const dotConfig = (...frags: string[]) => frags.join('\n');

describe('the .config check', () => {
  test('a .config with everything the fragments ask for passes, for both variants', () => {
    for (const v of ['legacy', 'compat']) expect(missingOption(dotConfig(common, fragment(v)), common, fragment(v))).toBeNull();
  });

  test('a =y option Kconfig dropped is named in one line', () => {
    const dropped = dotConfig(common, fragment('legacy')).replace('CONFIG_IOMMUFD=y', '# CONFIG_IOMMUFD is not set');
    expect(missingOption(dropped, common, fragment('legacy'))).toBe('lacks CONFIG_IOMMUFD=y (has it unset)');
    const modular = dotConfig(common, fragment('legacy')).replace('CONFIG_VFIO_PCI=y', 'CONFIG_VFIO_PCI=m');
    expect(missingOption(modular, common, fragment('legacy'))).toBe('lacks CONFIG_VFIO_PCI=y (has CONFIG_VFIO_PCI=m)');
  });

  test("a variant's `is not set` is required too: compat with VFIO's container is not compat", () => {
    const withContainer = dotConfig(common, fragment('compat'), 'CONFIG_VFIO_CONTAINER=y');
    expect(missingOption(withContainer, common, fragment('compat'))).toBe('lacks CONFIG_VFIO_CONTAINER=n (has CONFIG_VFIO_CONTAINER=y)');
  });

  test("the common fragment's trimming (`is not set`) is not required", () => {
    expect(parseConfig(common).get('CONFIG_DRM')).toBe('n');
    expect(missingOption(dotConfig(common, fragment('legacy'), 'CONFIG_DRM=y'), common, fragment('legacy'))).toBeNull();
  });
});

describe('the cache key', () => {
  test('each variant has its own directory, named by version, variant and a hash', () => {
    expect(kernelDir('legacy')).toMatch(/linux-6\.12\.117-iommufd-legacy-[0-9a-f]{12}$/);
    expect(kernelDir('compat')).toMatch(/linux-6\.12\.117-iommufd-compat-[0-9a-f]{12}$/);
  });

  test('it follows VFIO_CONFORM_CACHE', () => {
    const saved = process.env.VFIO_CONFORM_CACHE;
    process.env.VFIO_CONFORM_CACHE = '/elsewhere';
    try { expect(kernelDir('legacy').startsWith('/elsewhere/')).toBe(true); } finally {
      if (saved === undefined) delete process.env.VFIO_CONFORM_CACHE; else process.env.VFIO_CONFORM_CACHE = saved;
    }
  });
});
