// The standalone qtest reproducer (qemu/trace.ts), run against a stand-in for QEMU: a shell
// program that answers qtest lines, so the script's replay loop is checked without QEMU.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Trace } from '../../qemu/trace.ts';

const dir = mkdtempSync(join(tmpdir(), 'qtest-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Answers OK to every line, and a poll of 0x10 busy (0x1) twice before done (0x0); logs what it got. */
const FAKE_QEMU = `#!/bin/sh
n=0
while IFS= read -r l; do
  printf '%s\\n' "$l" >> "${dir}/received"
  case $l in
    "readl 0x10") n=$((n + 1)); if [ $n -lt 3 ]; then echo "OK 0x1"; else echo "OK 0x0"; fi ;;
    read*) echo "OK 0x7" ;;
    *) echo OK ;;
  esac
done
`;

describe('a qtest trace becomes a standalone script', () => {
  test('a poll is replayed until the reply that ended it, notes go to the log, nothing is left running', () => {
    const firmware = join(dir, 'fw.bin');
    writeFileSync(firmware, Buffer.alloc(4096, 0xff));
    const trace = new Trace(join(dir, 'out'), ['/nonexistent/qemu'], ['-machine', 'q35', '-bios', firmware]);
    trace.note('dma endpoint=0 iova=0x1000 access=write');
    trace.record('writel 0x0 0x1');
    trace.reply('OK');
    // The run polled five times; a replay may need more or fewer: only the last reply counts.
    for (const r of ['OK 0x1', 'OK 0x1', 'OK 0x1', 'OK 0x1', 'OK 0x0']) { trace.record('readl 0x10'); trace.reply(r); }
    trace.record('readb 0x20');
    trace.reply('OK 0x7');
    const script = trace.write()!;
    expect(trace.write()).toBeNull();
    const text = readFileSync(script, 'utf8');
    expect(text).toContain('readl 0x10\tOK 0x0');
    expect(text.match(/^readl 0x10/gm)).toHaveLength(1);
    expect(text).not.toContain(dir); // the firmware is embedded, not referenced

    const fake = join(dir, 'fake-qemu');
    writeFileSync(fake, FAKE_QEMU);
    chmodSync(fake, 0o755);
    const r = spawnSync('sh', [script], { env: { ...process.env, QEMU: fake }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('# dma endpoint=0 iova=0x1000 access=write');
    const received = readFileSync(join(dir, 'received'), 'utf8').trim().split('\n');
    expect(received).toEqual(['writel 0x0 0x1', 'readl 0x10', 'readl 0x10', 'readl 0x10', 'readb 0x20']);
    expect(readdirSync(join(dir, 'out'))).toHaveLength(1);
  });
});
