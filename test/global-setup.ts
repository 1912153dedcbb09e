// The test run's own temporary directory: every test's scratch directories (and those of the
// command lines they start) are made under it, and must be gone when the run ends. Whatever a
// test leaves behind fails the run by name; the directory itself is removed either way, so no
// run, passing or failing, leaves anything in the system's temporary directory.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'vfio-conform-test-run-'));
  // Read by os.tmpdir() in the test workers and in every process they start.
  process.env.TMPDIR = root;
  return () => {
    // tsx keeps its compile cache (tsx-UID) in the temporary directory: the tool's, not a test's.
    const left = readdirSync(root).filter((name) => !/^tsx-\d+$/.test(name));
    rmSync(root, { recursive: true, force: true });
    if (left.length) {
      process.stderr.write(`\ntests left ${left.length} entries in the temporary directory (remove them in afterAll): ${left.join(', ')}\n`);
      process.exitCode = 1;
    }
  };
}
