import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './helpers/repo-files.js';

/** The front page stays a front page: details live in docs/. */
const README_MAX_LINES = 260;

/** Top-level folders of the repository whose paths, written in docs as `code`, must exist. */
const SOURCE_ROOTS = ['proto', 'common', 'catalog', 'coordinator', 'worker', 'cli', 'tests', 'bench', 'examples', 'deploy', 'docs'];

/** Markdown with its fenced code blocks blanked out (line numbers kept). */
function withoutFences(md: string): string {
  let fenced = false;
  return md
    .split('\n')
    .map((line) => {
      if (/^\s{0,3}(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n');
}

/** Markdown with fenced code blocks and inline code spans blanked out: links there are not links. */
function withoutCode(md: string): string {
  return withoutFences(md).replace(/(`+)[^`][\s\S]*?\1(?!`)/g, (m) => ' '.repeat(m.length));
}

/** Targets of inline links, images and reference definitions. */
function linkTargets(md: string): string[] {
  const text = withoutCode(md);
  const inline = [...text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
  const refs = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm)].map((m) => m[1] ?? '');
  return [...inline, ...refs];
}

/** GitHub's anchor for a heading: lowercased, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
  const text = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
  return text.toLowerCase().trim().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
}

/** Every anchor a Markdown file's headings define (repeated headings get -1, -2, ... as on GitHub). */
function anchorsOf(md: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of withoutFences(md).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The broken relative links of one Markdown file under `root`, each naming the file, the link and the problem. */
function brokenLinks(root: string, file: string): string[] {
  const md = readFileSync(join(root, file), 'utf8');
  const problems: string[] = [];
  for (const target of linkTargets(md)) {
    if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
    const [rawPath = '', anchor] = target.split('#', 2);
    const path = rawPath === '' ? join(root, file) : resolve(join(root, dirname(file)), decodeURIComponent(rawPath));
    const shown = relative(root, path) || '.';
    if (!existsSync(path)) {
      problems.push(`${file}: link "${target}" → ${shown} does not exist`);
      continue;
    }
    if (anchor !== undefined && anchor !== '') {
      if (!path.endsWith('.md')) problems.push(`${file}: link "${target}" has an anchor into ${shown}, which is not Markdown`);
      else if (!anchorsOf(readFileSync(path, 'utf8')).has(anchor)) problems.push(`${file}: link "${target}" → no heading "#${anchor}" in ${shown}`);
    }
  }
  return problems;
}

/** Paths of the repository written as `code` in a Markdown file that do not exist (placeholders like NAME skipped). */
function stalePaths(root: string, file: string): string[] {
  const md = withoutFences(readFileSync(join(root, file), 'utf8'));
  const problems: string[] = [];
  for (const m of md.matchAll(/`([^`\s]+)`/g)) {
    const written = m[1] ?? '';
    const isPlaceholder = /[{}*<>…]/.test(written) || written.split('/').some((seg) => /^[A-Z][A-Z_]+(\.|$)/.test(seg));
    const inDist = /^dist\/(.+)\.js$/.exec(written);
    const source = inDist ? `${inDist[1]}.ts` : written;
    if (isPlaceholder || !SOURCE_ROOTS.includes(source.split('/')[0] ?? '') || !source.includes('/')) continue;
    if (!existsSync(join(root, source))) problems.push(`${file}: \`${written}\` names ${source}, which does not exist`);
  }
  return problems;
}

/** README.md and docs/*.md, relative to `root`. */
function markdownFiles(root: string): string[] {
  const docs = existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`) : [];
  return ['README.md', ...docs.sort()];
}

/** docs/*.md files that no chain of links from README.md reaches. */
function orphans(root: string): string[] {
  const reached = new Set<string>(['README.md']);
  const queue = ['README.md'];
  while (queue.length > 0) {
    const file = queue.shift() ?? '';
    for (const target of linkTargets(readFileSync(join(root, file), 'utf8'))) {
      const path = target.split('#', 1)[0] ?? '';
      if (!path.endsWith('.md') || /^[a-z][a-z0-9+.-]*:/i.test(path)) continue;
      const next = relative(root, resolve(join(root, dirname(file)), decodeURIComponent(path)));
      if (!reached.has(next) && existsSync(join(root, next))) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  return markdownFiles(root).filter((f) => !reached.has(f));
}

test('every relative link in README.md and docs/*.md resolves, anchors included', (t) => {
  const files = markdownFiles(REPO_ROOT);
  t.true(files.length > 1, 'expected docs/*.md beside README.md');
  t.deepEqual(files.flatMap((f) => brokenLinks(REPO_ROOT, f)), []);
});

test('every repository path written in README.md and docs/*.md exists (dist/X.js checked as X.ts)', (t) => {
  t.deepEqual(markdownFiles(REPO_ROOT).flatMap((f) => stalePaths(REPO_ROOT, f)), []);
});

test('every page in docs/ is reachable from README.md', (t) => {
  t.deepEqual(orphans(REPO_ROOT), []);
});

test(`README.md stays under ${README_MAX_LINES} lines`, (t) => {
  const lines = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').split('\n').length;
  t.true(lines < README_MAX_LINES, `README.md has ${lines} lines; move details into docs/`);
});

test('the checks catch a missing file, a missing anchor, a stale path and an orphan page, and ignore code', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'fairsweep-docs-'));
  try {
    await mkdir(join(root, 'docs'));
    await mkdir(join(root, 'cli'));
    await writeFile(join(root, 'cli', 'main.ts'), '');
    await writeFile(
      join(root, 'README.md'),
      [
        '# Front page',
        '[good](docs/a.md#the-papers-data-scale) [self](#front-page) [web](https://example.org/x.md)',
        '[missing](docs/nope.md) [bad anchor](docs/a.md#nowhere)',
        '`dist/cli/main.js` `dist/coordinator/cli/main.js` `cli/NAME.ts` `out/x`',
        '```',
        '[in a fence](docs/fenced.md) `cli/fenced.ts`',
        '```',
        'and `[in code](docs/code.md)`',
      ].join('\n'),
    );
    await writeFile(join(root, 'docs', 'a.md'), "# A\n## The paper's data scale\n");
    await writeFile(join(root, 'docs', 'b.md'), '# B, linked from nowhere\n');
    t.deepEqual(brokenLinks(root, 'README.md'), [
      'README.md: link "docs/nope.md" → docs/nope.md does not exist',
      'README.md: link "docs/a.md#nowhere" → no heading "#nowhere" in docs/a.md',
    ]);
    t.deepEqual(stalePaths(root, 'README.md'), ['README.md: `dist/coordinator/cli/main.js` names coordinator/cli/main.ts, which does not exist']);
    t.deepEqual(orphans(root), ['docs/b.md']);
    t.deepEqual([...anchorsOf('# Dup\n## Dup\n```\n# not a heading\n```\n## `code` and [link](x.md)')], ['dup', 'dup-1', 'code-and-link']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
