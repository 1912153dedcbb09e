// The page `show --html` writes, as a browser draws it: headless Chromium from the system's
// packages loads it, a screenshot is kept (reports/show/), and the DOM says that the failing
// step and the mappings are drawn where a reader looks first.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeShowHtml } from '../harness/show/write.ts';
import { Browser, chromiumMissing } from './support/chromium.ts';
import { sparseCase, staleDumpCase } from './support/show-cases.ts';

const root = new URL('..', import.meta.url).pathname;
const shots = join(root, 'reports', 'show');
const WIDTH = 1500;
const HEIGHT = 1000;

interface Drawn {
  title: string;
  failingRows: number;
  failingFill: string;
  failingText: string;
  failingTop: number;
  mappings: { x: number; width: number; height: number }[];
  probe: { outcome: string | null; width: number } | null;
  extra: number;
  labels: string[];
  lanesRight: number;
  resources: string[];
  documentWidth: number;
}

/** What the page shows, measured in the page. */
const MEASURE = `(() => {
  const box = (e) => e.getBoundingClientRect();
  const rows = [...document.querySelectorAll('[data-failing]')];
  const lanes = document.querySelector('#timeline [data-failing]');
  const probe = lanes && lanes.querySelector('g.probe');
  return {
    title: document.querySelector('h1').textContent,
    failingRows: rows.length,
    failingFill: getComputedStyle(document.querySelector('#timeline rect.row-bg.failing')).fill,
    failingText: document.querySelector('#operations [data-failing]').textContent,
    failingTop: box(rows[0]).top + scrollY,
    mappings: lanes ? [...lanes.querySelectorAll('g.iv[data-kind="IOMMU mapping"] rect')].map((r) => ({ x: box(r).left, width: box(r).width, height: box(r).height })) : [],
    probe: probe ? { outcome: probe.getAttribute('data-outcome'), width: box(probe).width } : null,
    extra: lanes ? lanes.querySelectorAll('g.iv.reported.extra').length : 0,
    labels: [...document.querySelectorAll('#timeline text.addr')].map((t) => t.textContent),
    lanesRight: box(document.querySelector('#timeline .lane-head')).right,
    resources: performance.getEntriesByType('resource').map((r) => r.name),
    documentWidth: document.documentElement.scrollWidth,
  };
})()`;

/** Width and height from a PNG's IHDR. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('show --html in headless Chromium', () => {
  let browser: Browser | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vfio-conform-chromium-case-'));

  beforeAll(() => {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    browser = Browser.launch(WIDTH, HEIGHT);
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function draw(casePath: string, name: string): Promise<Drawn> {
    const html = join(dir, `${name}.html`);
    writeShowHtml(casePath, html);
    const page = await browser!.open(pathToFileURL(html).href);
    const png = await page.screenshot();
    writeFileSync(join(shots, `${name}.png`), png);
    const drawn = await page.evaluate<Drawn>(MEASURE);
    const size = pngSize(png);
    expect(size.width).toBe(WIDTH);
    expect(size.height).toBeGreaterThan(600);
    expect(png.length).toBeGreaterThan(30_000); // a drawing, not a blank page
    return drawn;
  }

  test('a sparse case: the failing step in red with expected and actual, both mappings and the probe drawn, exact labels', async () => {
    const d = await draw(sparseCase(dir), 'sparse');
    expect(d.title).toMatch(/^T1-HOST-NO-REUSE\s+at step #6 of 7$/);
    expect(d.failingRows).toBe(2); // the operation's row and the lanes' row
    expect(d.failingFill).toBe('rgb(254, 242, 242)');
    expect(d.failingText).toContain('expected ok token=0x42');
    expect(d.failingText).toContain('got ok token=0x0');
    expect(d.failingTop).toBeLessThan(1400);
    expect(d.mappings).toHaveLength(2);
    for (const m of d.mappings) {
      expect(m.width).toBeGreaterThan(20);
      expect(m.height).toBeGreaterThan(15);
    }
    expect(d.mappings[0]!.x).toBeLessThan(d.mappings[1]!.x);
    expect(d.probe).toEqual({ outcome: 'hit', width: expect.any(Number) });
    expect(d.probe!.width).toBeGreaterThan(10);
    expect(d.labels).toEqual(expect.arrayContaining(['0x1000000', '0xfffffffffffff000', '2^64', '0x7f0000100000']));
    expect(d.lanesRight).toBeLessThan(WIDTH); // the IOVA lane is on screen without scrolling
    expect(d.documentWidth).toBe(WIDTH); // wide cases scroll inside the lanes, not the page
    expect(d.resources).toEqual([]);
  });

  test('a stale dump: what the backend reports, and what the model does not hold, in the failing row', async () => {
    const d = await draw(staleDumpCase(dir), 'stale-dump');
    expect(d.title).toMatch(/^T1-NO-STALE/);
    expect(d.extra).toBe(1);
    expect(d.resources).toEqual([]);
  });
});
