// Text that came from a backend (its name, description, error messages, the last words on its
// stderr) is data: it reaches a terminal or an XML, TAP or event file only through these.

/**
 * C0 controls but tab and line feed, DEL, the C1 controls (escape sequences start with ESC or
 * CSI), and the two non-characters no XML document may hold.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffe\uffff]/g;
/** A UTF-16 surrogate that is not half of a pair: no XML or YAML document may hold one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `text` with every control character written out as `\xNN` (ESC becomes the four characters
 * `\x1b`; U+FFFE `\ufffe`) and lone surrogates as U+FFFD; a line feed is kept when `lines` is
 * true, else written `\n`.
 */
export function visible(text: string, lines = false): string {
  const out = text
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(CONTROL, (c) => (c < '\u0100' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16)}`));
  return lines ? out : out.replace(/\n/g, '\\n');
}
