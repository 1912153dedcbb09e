// A family's rules as Markdown, rendered from its rule index and property catalog so that the
// prose, the index and the properties that check each rule never disagree.
import type { Rule } from './family.ts';

export interface RuleDoc {
  title: string;
  /** Paragraph lines after the title: what the levels, profiles and source prefixes mean. */
  intro: readonly string[];
  rules: readonly Rule[];
  groups: Readonly<Record<string, string>>;
  properties: readonly { id: string; rules: readonly string[] }[];
  /** How a rule's `profile` reads in a heading (the rule itself for what else narrows it). */
  profileLabel(profile: string, rule: Rule): string;
}

export function renderRuleDoc(doc: RuleDoc): string {
  const out = [`# ${doc.title}`, '', ...doc.intro, ''];
  for (const [group, heading] of Object.entries(doc.groups)) {
    out.push(`## ${heading}`, '');
    for (const r of doc.rules.filter((x) => x.group === group)) {
      out.push(`### ${r.id} (${r.level}, ${doc.profileLabel(r.profile, r)})`, '', r.statement, '');
      for (const s of r.sources) out.push(`- Source: ${s}`);
      const by = doc.properties.filter((p) => p.rules.includes(r.id)).map((p) => `\`${p.id}\``);
      out.push(`- Checked by: ${by.join(', ')}`);
      for (const v of r.variants ?? []) out.push(`- Variant: ${v}`);
      out.push('');
    }
  }
  return out.join('\n');
}
