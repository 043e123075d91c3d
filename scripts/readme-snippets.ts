/**
 * The fenced code blocks of README.md, for the tests that compile and run them (__tests__/docs/readme-snippets.test.ts)
 * and for the consumer check, which runs the "Use it from CDKTF" snippets in a scratch project.
 *
 * A block that is deliberately not standalone is marked by an HTML comment on the lines just before it:
 *
 *     <!-- snippet-skip: why it cannot run on its own -->
 *
 * and the tests report it as skipped with that reason. Every other TypeScript and HCL block is checked.
 */

/** Languages whose blocks are code the tests compile or run. */
export const CHECKED_LANGUAGES = ['ts', 'hcl'] as const;
/** Languages whose blocks are not checked: shell sessions, payload examples, diagrams. */
export const UNCHECKED_LANGUAGES = ['sh', 'json', 'mermaid', 'text', ''] as const;

export type SnippetLanguage = (typeof CHECKED_LANGUAGES)[number] | (typeof UNCHECKED_LANGUAGES)[number] | `unknown:${string}`;

/** Fence info strings that mean the same language. */
const ALIASES: Record<string, SnippetLanguage> = {
  ts: 'ts',
  typescript: 'ts',
  hcl: 'hcl',
  terraform: 'hcl',
  tf: 'hcl',
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
  console: 'sh',
  json: 'json',
  mermaid: 'mermaid',
  text: 'text',
  '': '',
};

/** One fenced block of the README. */
export interface ReadmeSnippet {
  readonly language: SnippetLanguage;
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** Title of the nearest `## ` heading above the block. */
  readonly section: string;
  /** Set when the block is marked `<!-- snippet-skip: reason -->`. */
  readonly skipReason?: string;
  /** A TypeScript block that is a jest test file (it calls describe/it/test and expect). */
  readonly isJestTest: boolean;
}

const SKIP = /^<!--\s*snippet-skip:\s*(.+?)\s*-->$/;

/** Every fenced block, in order. Throws on an unterminated fence. */
export function readmeSnippets(markdown: string): ReadmeSnippet[] {
  const lines = markdown.split('\n');
  const snippets: ReadmeSnippet[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i += 1) {
    const heading = /^## (.+)$/.exec(lines[i]);
    if (heading) section = heading[1].trim();
    const fence = /^(`{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!fence) continue;
    const close = lines.findIndex((l, j) => j > i && l.startsWith(fence[1]) && l.trim() === fence[1]);
    if (close === -1) throw new Error(`README.md line ${i + 1}: the ${fence[1]} fence is never closed`);
    const info = fence[2].toLowerCase();
    const language = ALIASES[info] ?? (`unknown:${info}` as const);
    const code = `${lines.slice(i + 1, close).join('\n')}\n`;
    let before = i - 1;
    while (before >= 0 && lines[before].trim() === '') before -= 1;
    const skip = before >= 0 ? SKIP.exec(lines[before].trim()) : null;
    snippets.push({
      language,
      code,
      line: i + 1,
      section,
      ...(skip ? { skipReason: skip[1] } : {}),
      isJestTest: language === 'ts' && /\b(describe|it|test)\(/.test(code) && /\bexpect\(/.test(code),
    });
    i = close;
  }
  return snippets;
}
