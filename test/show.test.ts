// `show`: a case file as text without a backend, or as one self-contained HTML page that is
// the same byte for byte for the same case, with an address axis that stays readable for
// sparse 64-bit spaces; and the page the suite writes beside every failing case.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { addressLabel, buildAxis } from '../harness/show/axis.ts';
import { loadShownCase } from '../harness/show/case.ts';
import { renderHtml } from '../harness/show/html.ts';
import { sparseCase, staleDumpCase } from './support/show-cases.ts';
import { scratch } from './support/cli.ts';

const root = new URL('..', import.meta.url).pathname;

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const labels = (html: string): string[] => [...html.matchAll(/<text class="addr[^"]*"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

describe('the address axis', () => {
  const TOP = 0xfffffffffffff000n;
  const END = 1n << 64n;
  const axis = buildAxis(
    [0n, 0x1000000n, 0x1001000n, TOP, END],
    [{ start: 0x1000000n, end: 0x1001000n }, { start: TOP, end: END }],
    [], 260,
  );

  test('empty stretches are compressed: 2^64 bytes fit in a few hundred pixels, a page is wider than 4 GiB of nothing', () => {
    expect(axis.width).toBeLessThan(400);
    const [gapLow, page, gapHigh, top] = axis.segments;
    expect(axis.segments.map((s) => s.kind)).toEqual(['gap', 'used', 'gap', 'used']);
    expect(page!.x1 - page!.x0).toBeGreaterThan(gapLow!.x1 - gapLow!.x0);
    expect(top!.x1 - top!.x0).toBeGreaterThan(gapHigh!.x1 - gapHigh!.x0);
  });

  test('breakpoints a page apart at the top of the space stay apart; labels are exact', () => {
    const xs = axis.points.map((p) => axis.x(p));
    for (let i = 1; i < xs.length; i++) expect(xs[i]! - xs[i - 1]!).toBeGreaterThanOrEqual(16);
    expect(axis.x(TOP + 0x800n)).toBeCloseTo((axis.x(TOP) + axis.x(END)) / 2, 3);
    expect(axis.points.map(addressLabel)).toEqual(['0x0', '0x1000000', '0x1001000', '0xfffffffffffff000', '2^64']);
  });
});

describe('show --html', () => {
  const dir = scratch('vfio-conform-show-');
  const sparse = sparseCase(dir);

  test('one self-contained page: inline style, script and SVG, nothing fetched', () => {
    const html = renderHtml(loadShownCase(sparse));
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'`);
    const outside = html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '');
    expect(outside).not.toMatch(/https?:|\/\/[a-z]/i);
    expect(outside).not.toMatch(/\b(src|href)="(?!#)/);
    expect(outside).not.toMatch(/url\((?!#)/);
    expect(outside).not.toMatch(/@import|@font-face/);
  });

  test('mappings at 0x1000000 and at the top page of the space, labelled in exact hex', () => {
    const html = renderHtml(loadShownCase(sparse));
    expect(labels(html)).toEqual(expect.arrayContaining(['0x0', '0x1000000', '0x1001000', '0xfee00000', '0xfef00000', '0xfffffffffffff000', '2^64']));
    expect(html).toContain('T1-HOST-NO-REUSE');
    expect(html).toContain('expected ok token=0x42');
    expect(html).toContain('got ok token=0x0');
  });

  test('the same case gives the same bytes, run after run and wherever the file lies', () => {
    const a = join(dir, 'a.html');
    const b = join(dir, 'b.html');
    expect(cli('show', sparse, '--html', a)).toMatchObject({ status: 0, stdout: `${a}\n` });
    const elsewhere = join(scratch('vfio-conform-show-'), 'sparse.case.json');
    writeFileSync(elsewhere, readFileSync(sparse));
    expect(cli('show', elsewhere, '--html', b).status).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    expect(readFileSync(a, 'utf8')).toBe(renderHtml(loadShownCase(sparse)));
  });

  test('what the backend reports is drawn under the model, what the model lacks in red', () => {
    const html = renderHtml(loadShownCase(staleDumpCase(dir)));
    expect(html).toContain('process 1 virtual addresses');
    expect(html.match(/class="iv reported extra"/g)).toHaveLength(1);
  });
});

describe('show as text', () => {
  test('prints the case as replay does, with what the model answers before the failing step', () => {
    const r = cli('show', sparseCase(scratch('vfio-conform-show-')));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('VIOLATION T1-HOST-NO-REUSE on sim-type1');
    expect(r.stdout).toMatch(/^ {2}#5 +dmaRead iova=0xfffffffffffff000 +ok token=0x0$/m);
    expect(r.stdout).toMatch(/^> #6 +dmaRead iova=0x1000000 +expected ok token=0x42, got ok token=0x0$/m);
  });

  test('a case file that records no declaration borrows a bundled simulator\'s, and says so', () => {
    const dir = scratch('vfio-conform-show-');
    const path = join(dir, 'v1.case.json');
    writeFileSync(path, JSON.stringify({
      format: 'vfio-conform/case', version: 1, backend: 'exec:./elsewhere', property: 'unmap-semantics', seed: 1,
      failure: { step: 1, rule: 'T1-NO-STALE' },
      ops: [{ op: 'getInfo' }, { op: 'dmaRead', iova: '0x0' }],
    }));
    const r = cli('show', path);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/note: the case file does not record the declaration of exec:\.\/elsewhere: drawn with that of sim-type1/);
    expect(r.stdout).toMatch(/^> #1 +dmaRead iova=0x0 +expected EFAULT, got \(not recorded\)$/m);
  });

  test('bad input ends in one line and exit status 2', () => {
    const dir = scratch('vfio-conform-show-');
    writeFileSync(join(dir, 'bad.json'), '{"format": "vfio-conform/case"');
    writeFileSync(join(dir, 'step.json'), JSON.stringify({ format: 'vfio-conform/case', version: 2, family: 'type1', backend: 'sim-type1', failure: { step: 9 }, ops: [{ op: 'getInfo' }] }));
    for (const [args, message] of [
      [['show'], /^vfio-conform: show needs a CASE\.json path$/],
      [['show', join(dir, 'nope.json')], /nope\.json: no such file$/],
      [['show', join(dir, 'bad.json'), '--html', join(dir, 'out.html')], /bad\.json: not valid JSON/],
      [['show', join(dir, 'step.json')], /"failure\.step" must be an operation index from 0 to 0, got 9$/],
      [['show', join(dir, 'step.json'), '--html'], /--html.*argument/],
      [['show', join(dir, 'step.json'), '--svg'], /Unknown option '--svg'/],
      [['show', join(dir, 'step.json'), '--html', join(dir, 'step.json')], /step\.json would overwrite the case file$/],
    ] as const) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
  });
});

describe('run writes the picture beside every failing case', () => {
  test('X.case.json gets X.case.html, named in the terminal next to the case, identical to show --html', () => {
    const dir = scratch('vfio-conform-show-');
    const r = cli('run', '--backend', 'sim-type1~unmap-stale-tail', '--rules', 'T1-NO-STALE', '--cases', dir);
    expect(r.status).toBe(1);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['sim-type1~unmap-stale-tail--unmap-semantics.case.html', 'sim-type1~unmap-stale-tail--unmap-semantics.case.json']);
    const [html, json] = files.map((f) => join(dir, f));
    expect(r.stdout).toContain(`  case:   ${json}\n  view:   ${html}\n`);
    const again = join(dir, 'again.html');
    expect(cli('show', json!, '--html', again).status).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(html!, 'utf8'));
    expect(existsSync(html!)).toBe(true);
  });
});

describe('a family without a view', () => {
  test('its cases are still shown: the operations and the verdict, without lanes', async () => {
    const { registerFamily } = await import('../families/index.ts');
    const { runSuite } = await import('../harness/suite.ts');
    const { toy } = await import('./families/toy-family.ts');
    registerFamily(toy);
    const dir = scratch('vfio-conform-show-');
    const [report] = await runSuite({ backends: ['toy-sim~stale'], family: 'toy', seed: 1, runs: 50, maxOps: 10, rules: [], casesDir: dir });
    const failed = report!.properties[0]!;
    expect(failed.status).toBe('fail');
    const html = readFileSync((failed as { case: string }).case.replace(/\.json$/, '.html'), 'utf8');
    expect(html).toContain('TOY-READ-LAST');
    expect(html).toContain('the toy family draws no timeline; the operations are listed');
    expect(html).not.toContain('id="timeline"');
  });
});
