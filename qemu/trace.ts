// A standalone reproducer for QEMU developers: the qtest commands a run sent, as a shell script
// that starts the same QEMU and sends them again, with no part of the suite installed.
//
//   VFIO_CONFORM_QTEST_TRACE=DIR vfio-conform replay CASE.json
//
// writes DIR/<machine>-<n>.sh for every QEMU started. Firmware images the command line names
// are embedded in the script; `QEMU=/path/to/qemu-system-x86_64 sh script.sh` runs another
// build. Lines starting with # are the operations of the case, as the backend noted them; the
// script prints each before the commands that carry it out, and QEMU's log (-qtest-log) shows
// every command beside its reply.
//
// The script sends one command at a time and waits for its reply. A poll (the same read sent
// again and again until a device is done) is replayed as "send until the reply is the one that
// ended it": under TCG with a halted CPU, virtual time moves with the host's, so a device may
// take a different number of polls in every run, and only the poll's outcome is part of the case.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const EMBED_LIMIT = 1 << 20;
/** A command repeated until a device is done; more tries than this means it never will be. */
const POLL_LIMIT = 100_000;
let written = 0;

const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const isRead = (line: string): boolean => /^(read[bwlq]|in[bwl]) /.test(line);

interface Entry { line: string; reply?: string }

export class Trace {
  private readonly entries: Entry[] = [];
  private answered = 0;
  private done = false;
  /** A run that ends without disposing its QEMU still leaves the script. */
  private readonly onExit = (): void => { this.write(); };

  constructor(private readonly dir: string, private readonly command: readonly string[], private readonly args: readonly string[]) {
    process.once('exit', this.onExit);
  }

  record(line: string): void { this.entries.push({ line }); }
  note(text: string): void { this.entries.push({ line: `# ${text.replace(/\n/g, ' ')}`, reply: '' }); }

  /** QEMU's reply to the oldest command not yet answered (replies come in order). */
  reply(text: string): void {
    while (this.answered < this.entries.length && this.entries[this.answered]!.reply !== undefined) this.answered++;
    const e = this.entries[this.answered];
    if (e) e.reply = text;
  }

  /** Commands, one a line; a run of the same read becomes its last one with the reply that ended it. */
  private lines(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      const { line, reply } = this.entries[i]!;
      const next = this.entries[i + 1];
      if (isRead(line) && next?.line === line) continue;
      const polled = isRead(line) && this.entries[i - 1]?.line === line;
      out.push(polled && reply !== undefined ? `${line}\t${reply}` : line);
    }
    return out;
  }

  /** Writes the script once; later calls do nothing. */
  write(): string | null {
    if (this.done) return null;
    this.done = true;
    process.off('exit', this.onExit);
    mkdirSync(this.dir, { recursive: true });
    const machine = this.args[this.args.indexOf('-machine') + 1]?.split(',')[0] ?? 'qemu';
    const path = join(this.dir, `${machine}-${process.pid}-${++written}.sh`);
    const files: string[] = [];
    const args = this.args.map((a) => {
      // Files the suite generated for this QEMU (its firmware): embedded, not referenced.
      if (a.startsWith(tmpdir()) && existsSync(a) && statSync(a).size <= EMBED_LIMIT) {
        files.push(`base64 -d <<'EOF' | gunzip > "$dir/${basename(a)}"\n${gzipSync(readFileSync(a)).toString('base64').replace(/.{76}/g, '$&\n')}\nEOF`);
        return `"$dir/${basename(a)}"`;
      }
      return quote(a);
    });
    const program = this.command.map(quote).join(' ');
    writeFileSync(path, [
      '#!/bin/sh',
      '# QEMU driven over qtest with no guest, as a conformance run drove it. Run: sh THIS_FILE',
      '# QEMU=<program> runs another build. The log shows each command beside its reply; a line',
      "# starting with # is the case's operation that the commands after it carry out. A command",
      '# followed by a tab and a reply is a poll: sent again until QEMU gives that reply.',
      'set -eu',
      'dir=$(mktemp -d)',
      `trap 'kill "$qemu" 2>/dev/null || true; rm -rf "$dir"' EXIT`,
      'qemu=',
      ...files,
      `cat > "$dir/commands" <<'EOF'`,
      ...this.lines(),
      'EOF',
      'mkfifo "$dir/in" "$dir/out"',
      `\${QEMU:-${program}} -qtest stdio -qtest-log /dev/stderr -display none -nodefaults -no-user-config -monitor none -serial none \\`,
      `  ${args.join(' ')} < "$dir/in" > "$dir/out" &`,
      'qemu=$!',
      'exec 3> "$dir/in" 4< "$dir/out"',
      'tab=$(printf \'\\t\')',
      'while IFS= read -r line; do',
      `  case $line in '#'*) printf '%s\\n' "$line" >&2; continue ;; esac`,
      '  cmd=${line%%"$tab"*}; until=',
      '  [ "$cmd" = "$line" ] || until=${line#*"$tab"}',
      '  tries=0',
      '  while :; do',
      `    printf '%s\\n' "$cmd" >&3`,
      '    IFS= read -r reply <&4 || { echo "QEMU ended before answering: $cmd" >&2; exit 1; }',
      '    if [ -z "$until" ] || [ "$reply" = "$until" ]; then break; fi',
      '    tries=$((tries + 1))',
      `    if [ "$tries" -ge ${POLL_LIMIT} ]; then echo "no \"$until\" after $tries tries of: $cmd" >&2; exit 1; fi`,
      '  done',
      'done < "$dir/commands"',
      '',
    ].join('\n'), { mode: 0o755 });
    return path;
  }
}
