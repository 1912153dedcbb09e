// A strict XML 1.0 well-formedness check, enough for the reports the suite writes: one root
// element, proper nesting, quoted and unique attributes, only the five predefined entities and
// character references, and no character outside XML's Char production anywhere (raw or
// referenced). Throws with the offset of the first problem.

const NAME = /^[A-Za-z_:][\w.:-]*/;

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

export function checkWellFormed(xml: string): void {
  const fail = (at: number, what: string): never => {
    throw new Error(`not well-formed XML at offset ${at}: ${what} (near ${JSON.stringify(xml.slice(Math.max(0, at - 20), at + 20))})`);
  };
  for (let i = 0; i < xml.length; i++) {
    const cp = xml.codePointAt(i)!;
    if (cp > 0xffff) i++;
    else if (cp >= 0xd800 && cp <= 0xdfff) fail(i, 'lone surrogate');
    if (!isXmlChar(cp)) fail(i, `character U+${cp.toString(16).padStart(4, '0')} is not allowed`);
  }
  /** Character data or an attribute value: `&` only as a known entity or a valid reference. */
  const text = (from: number, s: string, inAttribute: boolean) => {
    if (inAttribute && s.includes('<')) fail(from, '"<" in an attribute value');
    for (const m of s.matchAll(/&/g)) {
      const rest = s.slice(m.index);
      const ref = /^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/.exec(rest);
      if (!ref) fail(from + m.index, 'bare "&"');
      if (ref![1]!.startsWith('#')) {
        const cp = ref![1]!.startsWith('#x') ? parseInt(ref![1]!.slice(2), 16) : parseInt(ref![1]!.slice(1), 10);
        if (!isXmlChar(cp)) fail(from + m.index, `reference to a character that is not allowed: ${ref![0]}`);
      }
    }
    if (!inAttribute && s.includes(']]>')) fail(from, '"]]>" in character data');
  };
  let i = 0;
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail(0, 'unterminated XML declaration');
    i = end + 2;
  }
  const stack: string[] = [];
  let roots = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const chunk = lt < 0 ? xml.slice(i) : xml.slice(i, lt);
    if (stack.length === 0 && chunk.trim()) fail(i, 'text outside the root element');
    text(i, chunk, false);
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0) fail(i, 'unterminated comment');
      i = end + 3;
      continue;
    }
    if (xml.startsWith('</', i)) {
      const m = NAME.exec(xml.slice(i + 2));
      if (!m) fail(i, 'bad end tag');
      const close = xml.slice(i + 2 + m![0].length).match(/^\s*>/);
      if (!close) fail(i, 'bad end tag');
      if (stack.pop() !== m![0]) fail(i, `end tag </${m![0]}> does not match`);
      i += 2 + m![0].length + close![0].length;
      continue;
    }
    const m = NAME.exec(xml.slice(i + 1));
    if (!m) fail(i, 'bad start tag');
    const name = m![0];
    if (stack.length === 0 && roots++ > 0) fail(i, 'a second root element');
    i += 1 + name.length;
    const seen = new Set<string>();
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(i))![0];
      i += ws.length;
      if (xml.startsWith('/>', i)) { i += 2; break; }
      if (xml.startsWith('>', i)) { i += 1; stack.push(name); break; }
      if (!ws) fail(i, 'attributes must be separated by white space');
      const a = /^([A-Za-z_:][\w.:-]*)\s*=\s*(["'])/.exec(xml.slice(i));
      if (!a) fail(i, 'bad attribute');
      if (seen.has(a![1]!)) fail(i, `attribute ${a![1]} twice`);
      seen.add(a![1]!);
      const start = i + a![0].length;
      const end = xml.indexOf(a![2]!, start);
      if (end < 0) fail(i, 'unterminated attribute value');
      text(start, xml.slice(start, end), true);
      i = end + 1;
    }
  }
  if (stack.length) fail(xml.length, `unclosed element <${stack.at(-1)}>`);
  if (roots !== 1) fail(0, 'no root element');
}
