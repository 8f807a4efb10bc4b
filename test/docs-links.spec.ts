// Proves the documentation points at things that exist: every relative link in README.md and in any
// markdown file under docs/ resolves to a file or folder of the repository, a `#Symbol` fragment into a
// .ts file names a symbol that file declares, and a `#heading` fragment into a markdown file names one of
// its headings. It needs no database or broker, and it first runs the checker on fixtures in a temporary
// folder, so a broken link is known to fail the run.
//
// The rules, so a doc writer knows what passes:
// - A link is `[text](target)`, `![alt](target)` or a reference definition `[label]: target`, outside
//   fenced code blocks and inline code. Targets with a URI scheme (https:, http:, mailto:, ...) are
//   external and not checked.
// - The path part is resolved against the markdown file's folder (a leading `/` against the repository
//   root) and must exist.
// - A fragment is checked by the target's kind:
//   - `.md`: a heading of the target, slugged as GitHub does (lower case, punctuation dropped, spaces to
//     dashes, `-1`, `-2`, ... for repeats). `#x` alone refers to the linking file's own headings.
//   - `.ts`: `Name` must be declared at the start of a line as
//     `[export ][default ][declare ][abstract ][async ](function[*]|class|const|let|var|type|interface|enum) Name`,
//     so a mention in a comment or a call does not count. `Class.member` also passes when the class is
//     declared so and `member` starts a line inside the file as a method or property (after optional
//     modifiers such as `private`, `static`, `async`, `readonly`, `override`).
//   - `.prisma`: `Name` must be a `model`, `enum`, `type` or `view` of the schema.
//   - any file but markdown: GitHub line anchors `#L12` or `#L12-L20` pass when the file is that long;
//     in a file that is neither .ts nor .prisma they are the only fragment accepted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..');

interface MarkdownLink {
  /** The target as written, e.g. `../packages/dedup/src/idempotent-consumer.ts#handleOnce`. */
  target: string;
  /** 1-based line of the link in its markdown file. */
  line: number;
}

interface BrokenLink {
  file: string;
  line: number;
  target: string;
  problem: string;
}

/** Every markdown file of the documentation: README.md at the root and docs/**.md. */
function documentationFiles(root: string): string[] {
  const files: string[] = [];
  const readme = path.join(root, 'README.md');
  if (fs.existsSync(readme)) files.push(readme);
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.md')) files.push(full);
    }
  };
  walk(path.join(root, 'docs'));
  return files.sort();
}

/**
 * The markdown with fenced code blocks and inline code blanked out, line structure kept, so neither
 * links nor headings are found inside code (Mermaid diagrams included).
 */
function proseOnly(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: string | null = null;
  const kept = lines.map((line) => {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === null && opener) {
      fence = opener;
      return '';
    }
    if (fence !== null) {
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') fence = null;
      return '';
    }
    return line;
  });
  // Inline code becomes placeholder text of its own length, so `[`handleOnce`](x)` stays a link.
  return kept
    .join('\n')
    .replace(/(`+)([^`\n]|[^`\n][^\n]*?[^`\n])\1(?!`)/g, (span) => span.replace(/[^\n]/g, 'c'));
}

function extractLinks(markdown: string): MarkdownLink[] {
  const prose = proseOnly(markdown);
  const links: MarkdownLink[] = [];
  const lineOf = (index: number): number => prose.slice(0, index).split('\n').length;
  // Inline links and images: `](target)` or `](<target>)`, with an optional "title".
  const inline = /\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g;
  for (const match of prose.matchAll(inline)) {
    links.push({ target: (match[1] ?? '').replace(/^<|>$/g, ''), line: lineOf(match.index) });
  }
  // Reference definitions: `[label]: target` at the start of a line (footnotes `[^1]:` are not links).
  const reference = /^\s{0,3}\[(?!\^)[^\]]+\]:\s*(<[^>]*>|\S+)/gm;
  for (const match of prose.matchAll(reference)) {
    links.push({ target: (match[1] ?? '').replace(/^<|>$/g, ''), line: lineOf(match.index) });
  }
  return links;
}

/** GitHub's heading anchor: inline markup dropped, lower case, punctuation removed, spaces to dashes. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  // Headings are read from the raw lines minus fenced code; inline code keeps its text in the slug.
  const lines = markdown.split('\n');
  const prose = proseOnly(markdown).split('\n');
  lines.forEach((line, index) => {
    if ((prose[index] ?? '') === '' && line.trim() !== '') return; // inside a fence
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) return;
    const base = githubSlug(heading);
    const repeats = seen.get(base) ?? 0;
    seen.set(base, repeats + 1);
    anchors.add(repeats === 0 ? base : `${base}-${repeats}`);
  });
  return anchors;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a TypeScript source declares `symbol` (or `Class.member`), by the rule in the header. */
function declaresTypeScriptSymbol(source: string, symbol: string): boolean {
  const [name, member, ...rest] = symbol.split('.');
  if (!name || rest.length > 0 || !/^[A-Za-z_$][\w$]*$/.test(name)) return false;
  const declaration = new RegExp(
    `^\\s*(?:export\\s+)?(?:default\\s+)?(?:declare\\s+)?(?:abstract\\s+)?(?:async\\s+)?` +
      `(?:function\\*?|class|const|let|var|type|interface|enum)\\s+${escapeRegExp(name)}(?![\\w$])`,
    'm',
  );
  if (!declaration.test(source)) return false;
  if (member === undefined) return true;
  if (!/^[A-Za-z_$][\w$]*$/.test(member)) return false;
  const classDeclared = new RegExp(
    `^\\s*(?:export\\s+)?(?:default\\s+)?(?:abstract\\s+)?class\\s+${escapeRegExp(name)}(?![\\w$])`,
    'm',
  ).test(source);
  const memberDeclared = new RegExp(
    `^\\s*(?:(?:public|private|protected|static|readonly|async|override|abstract|get|set)\\s+)*` +
      `${escapeRegExp(member)}\\s*[(<:=!?]`,
    'm',
  ).test(source);
  return classDeclared && memberDeclared;
}

function declaresPrismaBlock(source: string, name: string): boolean {
  return new RegExp(`^\\s*(?:model|enum|type|view)\\s+${escapeRegExp(name)}\\s*\\{`, 'm').test(source);
}

/** Why `fragment` does not point into `targetFile`, or null when it does. */
function fragmentProblem(targetFile: string, fragment: string): string | null {
  const source = fs.readFileSync(targetFile, 'utf8');
  const lineAnchor = /^L(\d+)(?:-L(\d+))?$/.exec(fragment);
  if (targetFile.endsWith('.md')) {
    return headingAnchors(source).has(fragment) ? null : `no heading with the anchor #${fragment}`;
  }
  if (lineAnchor) {
    const lineCount = source.split('\n').length;
    const last = Number(lineAnchor[2] ?? lineAnchor[1]);
    return last <= lineCount ? null : `has ${lineCount} lines, not ${last}`;
  }
  if (targetFile.endsWith('.ts')) {
    return declaresTypeScriptSymbol(source, fragment) ? null : `declares no symbol ${fragment}`;
  }
  if (targetFile.endsWith('.prisma')) {
    return declaresPrismaBlock(source, fragment) ? null : `has no model or enum ${fragment}`;
  }
  return `#${fragment}: only #L<line> anchors can be checked in this kind of file`;
}

function brokenLinksOf(markdownFile: string, root: string): BrokenLink[] {
  const markdown = fs.readFileSync(markdownFile, 'utf8');
  const file = path.relative(root, markdownFile);
  const broken: BrokenLink[] = [];
  for (const { target, line } of extractLinks(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // external: https:, mailto:, ...
    const hashAt = target.indexOf('#');
    const rawPath = hashAt === -1 ? target : target.slice(0, hashAt);
    const fragment = hashAt === -1 ? '' : decodeURIComponent(target.slice(hashAt + 1));
    const decodedPath = decodeURIComponent(rawPath);
    const resolved =
      decodedPath === ''
        ? markdownFile
        : decodedPath.startsWith('/')
          ? path.join(root, decodedPath)
          : path.resolve(path.dirname(markdownFile), decodedPath);
    const report = (problem: string): void => {
      broken.push({ file, line, target, problem });
    };
    if (!fs.existsSync(resolved)) {
      report(`${path.relative(root, resolved)} does not exist`);
      continue;
    }
    if (fragment === '') continue;
    if (fs.statSync(resolved).isDirectory()) {
      report('a fragment on a folder cannot be checked');
      continue;
    }
    const problem = fragmentProblem(resolved, fragment);
    if (problem) report(problem);
  }
  return broken;
}

describe('the link checker itself', () => {
  let root: string;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'oncepay-docs-links-'));
    fs.mkdirSync(path.join(root, 'docs', 'adr'), { recursive: true });
    fs.mkdirSync(path.join(root, 'src'));
    fs.writeFileSync(
      path.join(root, 'src', 'code.ts'),
      [
        '// handleTwice is only mentioned here.',
        'export async function handleOnce(): Promise<void> {}',
        'function helper(): void {}',
        'export class Runner {',
        '  private async processMessage(): Promise<void> {}',
        '}',
        'export type Outcome = "a";',
        'helper();',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(root, 'src', 'schema.prisma'), 'model Transfer {\n  id String @id\n}\n');
    fs.writeFileSync(
      path.join(root, 'docs', 'adr', 'target.md'),
      '# The flow of `one` transfer!\n\n## Twice\n\n## Twice\n\n```\n# not a heading\n```\n',
    );
  });

  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  function brokenTargets(markdown: string): string[] {
    const file = path.join(root, 'docs', 'page.md');
    fs.writeFileSync(file, markdown);
    return brokenLinksOf(file, root).map((link) => link.target);
  }

  it('accepts links to existing files, declared symbols, headings and external pages', () => {
    const good = [
      '[a](../src/code.ts#handleOnce) [b](../src/code.ts#helper) [c](../src/code.ts#Runner)',
      '[d](../src/code.ts#Runner.processMessage) [e](../src/code.ts#Outcome) [f](../src/code.ts#L2-L3)',
      '[`g`](adr/target.md#the-flow-of-one-transfer) [h](adr/target.md#twice-1) [i](../src/schema.prisma#Transfer)',
      '[j](https://example.com/missing) [k](#local) ![l](../src) [m](/src/code.ts)',
      '',
      '## Local',
      '',
      '[ref]: adr/target.md#twice',
    ];
    expect(brokenTargets(good.join('\n'))).toEqual([]);
  });

  it('reports a missing file, an undeclared symbol, an unknown heading and an unreadable fragment', () => {
    const bad = [
      '[a](../src/missing.ts) [b](../src/code.ts#handleTwice) [c](../src/code.ts#Runner.eachBatch)',
      '[d](adr/target.md#not-a-heading) [e](adr/target.md#twice-2) [f](../src/schema.prisma#Account)',
      '[g](../src/code.ts#L99) [h](#nowhere)',
      '[ref]: ./nothing-here.md',
    ];
    expect(brokenTargets(bad.join('\n'))).toEqual([
      '../src/missing.ts',
      '../src/code.ts#handleTwice',
      '../src/code.ts#Runner.eachBatch',
      'adr/target.md#not-a-heading',
      'adr/target.md#twice-2',
      '../src/schema.prisma#Account',
      '../src/code.ts#L99',
      '#nowhere',
      './nothing-here.md',
    ]);
  });

  it('ignores links inside code blocks and inline code', () => {
    expect(brokenTargets('```md\n[x](missing.md)\n```\n\n`[y](missing.md)`\n')).toEqual([]);
  });
});

describe('the documentation links', () => {
  const files = documentationFiles(REPO_ROOT);

  it('covers README.md and the docs folder, symbol links included', () => {
    expect(files.map((file) => path.relative(REPO_ROOT, file))).toContain('README.md');
    expect(files.some((file) => file.startsWith(path.join(REPO_ROOT, 'docs') + path.sep))).toBe(true);
    const targets = files.flatMap((file) => extractLinks(fs.readFileSync(file, 'utf8')).map((l) => l.target));
    // The docs map ideas to code: were no `.ts#Symbol` link found, the scanner would be checking nothing.
    expect(targets.some((target) => /\.ts#[A-Za-z_$]/.test(target))).toBe(true);
  });

  it.each(files.map((file) => [path.relative(REPO_ROOT, file), file]))(
    '%s has no broken relative link',
    (_name, file) => {
      expect(brokenLinksOf(file, REPO_ROOT)).toEqual([]);
    },
  );
});
