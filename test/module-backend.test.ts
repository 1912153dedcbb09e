// Backend modules load from any directory and format; one that cannot be loaded says where, in
// one line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const root = resolve(new URL('..', import.meta.url).pathname);
// The installed command, so that it also runs from directories that know nothing of tsx.
const cli = (args: string[], cwd = root) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/vfio-conform.mjs'), ...args], { cwd, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const scratch = mkdtempSync(join(tmpdir(), 'vfio-conform-module-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('backend modules load from any directory, in any format', () => {
  test('.ts, .mts, .js, .mjs in a package of type module, commonjs, or none', () => {
    const suite = join(root, 'backends/type1/index.ts');
    const esm = (name: string) => `import { findBundled } from ${JSON.stringify(suite)};
export default function create(options) {
  const sim = findBundled('sim-type1').create(options);
  return { info: { ...sim.info, name: ${JSON.stringify(name)} }, reset: () => sim.reset(), execute: (ops) => sim.execute(ops) };
}
`;
    const specs: string[] = [];
    for (const type of ['module', 'commonjs', null]) {
      const dir = join(scratch, `pkg-${type ?? 'none'}`);
      mkdirSync(dir);
      if (type) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `pkg-${type}`, type }));
      for (const ext of ['ts', 'mts', 'js', 'mjs']) {
        const name = `m-${type ?? 'none'}-${ext}`;
        const source = esm(name);
        writeFileSync(join(dir, `${name}.${ext}`), /ts$/.test(ext) ? source.replace('(options)', '(options: Record<string, string>)').replace('(ops)', '(ops: never[])') : source);
        specs.push(`./${join(`pkg-${type ?? 'none'}`, `${name}.${ext}`)}`);
      }
      if (type !== 'module') {
        // CommonJS proper: require() and module.exports.
        const name = `c-${type ?? 'none'}-js`;
        writeFileSync(join(dir, `${name}.js`), esm(name).replace(/^import \{ findBundled \} from (.*);$/m, 'const { findBundled } = require($1);').replace('export default function', 'module.exports = function'));
        specs.push(`./${join(`pkg-${type ?? 'none'}`, `${name}.js`)}`);
      }
    }
    const r = cli(['run', '--runs', '1', '--rules', 'T1-MAP-PERM', ...specs.flatMap((s) => ['--backend', s]), '--cases', join(scratch, 'formats-cases')], scratch);
    expect(r.stderr).not.toMatch(/vfio-conform: backend/);
    expect(r.stdout).toMatch(new RegExp(`^vfio-conform: ${specs.length} passed, 0 failed, 0 skipped$`, 'm'));
    expect(r.status).toBe(0);
  });

  test('a module that cannot be loaded is one line saying file:line:column and what is wrong', () => {
    const dir = join(scratch, 'broken');
    mkdirSync(dir);
    const files: [string, string, RegExp][] = [
      ['syntax.ts', 'const a: number = 1;\nexport default () => {\n  return {{ a b };\n};\n', /backend module \.\/syntax\.ts failed to load: syntax\.ts:3:11: Expected identifier but found "\{"$/m],
      ['syntax.mjs', 'const a = 1;\nexport default () => {\n  return {{ a b };\n};\n', /backend module \.\/syntax\.mjs failed to load: syntax\.mjs:3:11: /m],
      ['missing.ts', "import { x } from 'no-such-package';\nexport default x;\n", /backend module \.\/missing\.ts failed to load: missing\.ts:1:19: Cannot find (module|package) 'no-such-package'/m],
      ['top-level.ts', "const a = 1;\nthrow new Error('cannot start: no device');\nexport default () => a;\n", /backend module \.\/top-level\.ts failed to load: top-level\.ts:2:7: cannot start: no device$/m],
      ['factory.ts', "export default () => {\n  throw new TypeError('no IOMMU group given');\n};\n", /backend module \.\/factory\.ts: factory threw: factory\.ts:2:9: no IOMMU group given$/m],
      ['no-default.ts', 'export const create = () => ({});\n', /backend module \.\/no-default\.ts has no default export function \(a BackendFactory\)$/m],
    ];
    for (const [file, text] of files) writeFileSync(join(dir, file), text);
    const r = cli(['run', '--runs', '1', ...files.flatMap(([file]) => ['--backend', `./${file}`]), '--backend', 'sim-type1', '--rules', 'T1-MAP-PERM', '--cases', join(dir, 'cases')], dir);
    expect(r.status).toBe(1);
    for (const [, , message] of files) expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/Transform failed/);
    noStackTrace(r.stdout + r.stderr);
    expect(r.stdout).toMatch(/^vfio-conform: 1 passed, 6 failed, 0 skipped$/m);
  });
});
