import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetNames, methodNames } from '../catalog/index.js';
import { REPO_ROOT } from './helpers/repo-files.js';

const METHODS_DOC = 'docs/methods.md';

/** The names a Markdown text writes as code in the first column of a table row (`| \`erm\` | ...`, `| \`reweight\`, \`subsample\` | ...`). */
function tableNames(md: string): Set<string> {
  const names = new Set<string>();
  for (const line of md.split('\n')) {
    const first = /^\|([^|]+)\|/.exec(line)?.[1] ?? '';
    for (const m of first.matchAll(/`([^`]+)`/g)) names.add(m[1] ?? '');
  }
  return names;
}

/** The names a Markdown text lists as bold code bullets (`- **\`spurious\`** ...`). */
function bulletNames(md: string): Set<string> {
  return new Set([...md.matchAll(/^- \*\*`([^`]+)`\*\*/gm)].map((m) => m[1] ?? ''));
}

test(`${METHODS_DOC} has a table row for every method of the catalog, and none it lacks`, (t) => {
  const md = readFileSync(join(REPO_ROOT, METHODS_DOC), 'utf8');
  const documented = tableNames(md.slice(md.indexOf('## The methods'), md.indexOf('## Definitions')));
  t.deepEqual([...documented].sort(), [...methodNames()].sort());
});

test(`${METHODS_DOC} describes every dataset of the catalog, and none it lacks`, (t) => {
  const md = readFileSync(join(REPO_ROOT, METHODS_DOC), 'utf8');
  const documented = bulletNames(md.slice(md.indexOf('## Datasets'), md.indexOf('## Metrics')));
  t.deepEqual([...documented].sort(), [...datasetNames()].sort());
});

test('the table and bullet readers find names only where the page puts them', (t) => {
  t.deepEqual([...tableNames('| method | x |\n|---|---|\n| `a`, `b` | `not-first` |\ntext `c`')], ['a', 'b']);
  t.deepEqual([...bulletNames('- **`d`** (ref): `e`\n- `f`\n  - **`g`**')], ['d']);
});
