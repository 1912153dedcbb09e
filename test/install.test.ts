// A new user's first steps, exactly as the README's "Testing your own backend" gives them: in a
// fresh directory outside the checkout, pack and install the suite, write the README's backend
// modules, run them with npx. Every shell line of that section runs as written; a trailing
// `# exit status N` comment is the status it must end with (0 when there is none).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const root = resolve(new URL('..', import.meta.url).pathname);

type Block = { lang: string; lines: string[] };

function section(title: string): Block[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`## ${title}\n`);
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end < 0 ? undefined : end);
  return [...text.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, lines: m[2]!.replace(/\n$/, '').split('\n') }));
}

const scratch = mkdtempSync(join(tmpdir(), 'vfio-conform-new-user-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test('the README flow: install into a fresh project outside the checkout, then run its backends with npx', () => {
  expect(root.startsWith(scratch)).toBe(false);
  // The README's layout: the checkout next to the new directory, as ../vfio-conform.
  symlinkSync(root, join(scratch, 'vfio-conform'));
  const blocks = section('Testing your own backend');
  expect(blocks.filter((b) => b.lang === 'sh').length).toBeGreaterThanOrEqual(3);
  let cwd = scratch;
  const outputs: string[] = [];
  for (const block of blocks) {
    if (block.lang === 'ts') {
      const file = /^\/\/ (\S+\.[cm]?[jt]s)$/.exec(block.lines[0]!)?.[1];
      expect(file, `a ts block starts with "// FILE": ${block.lines[0]}`).toBeTruthy();
      writeFileSync(join(cwd, file!), block.lines.join('\n') + '\n');
      continue;
    }
    expect(block.lang).toBe('sh');
    for (const line of block.lines) {
      const expected = Number(/# exit status (\d+)/.exec(line)?.[1] ?? 0);
      const r = spawnSync('bash', ['-c', `${line}\necho "__status=$? __pwd=$(pwd)"`], {
        cwd, encoding: 'utf8', timeout: 120_000,
        // Configuration, not commands: the registry is asked only for what the cache lacks.
        env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
      });
      const m = /__status=(\d+) __pwd=(.*)\n$/.exec(r.stdout);
      expect(m, `${line}\n${r.stderr}`).toBeTruthy();
      const out = r.stdout.slice(0, m!.index) + r.stderr;
      expect(Number(m![1]), `${line}\n${out}`).toBe(expected);
      cwd = m![2]!;
      outputs.push(out);
      if (/\bnpx vfio-conform\b/.test(line)) {
        expect(out).not.toMatch(/^\s+at /m); // never a stack trace
        expect(out).toMatch(/^vfio-conform: \d+ passed, \d+ failed, \d+ skipped$/m);
      }
    }
  }
  // Installed as a user installs it: a dev dependency on the packed tarball, its bin on npx's path.
  expect(cwd.startsWith(scratch)).toBe(true);
  expect(existsSync(join(cwd, 'node_modules/.bin/vfio-conform'))).toBe(true);
  const manifest = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
  expect(manifest.devDependencies['vfio-conform']).toMatch(/^file:vfio-conform-.*\.tgz$/);
  const all = outputs.join('\n');
  expect(all).toMatch(/^VIOLATION T1-\S+ on my-backend/m);
  expect(all).toMatch(/^vfio-conform: 0 passed, \d+ failed, \d+ skipped$/m);
  expect(all).toMatch(/^vfio-conform: [1-9]\d* passed, 0 failed, \d+ skipped$/m);
}, 180_000);
