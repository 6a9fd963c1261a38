import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { getMethod, methodNames, datasetNames, datasetOptionsSchema } from '../catalog/index.js';
import { implementedMethods, loadableDatasets, loadMethod } from '../worker/index.js';
import { REPO_ROOT } from './helpers/repo-files.js';

/** What each room of the house may import (besides itself and node_modules). */
const ALLOWED: Record<string, readonly string[]> = {
  proto: [],
  common: [],
  catalog: ['proto'],
  coordinator: ['proto', 'common', 'catalog'],
  worker: ['proto', 'common', 'catalog'],
  cli: ['proto', 'common', 'catalog', 'coordinator', 'worker'],
};

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'gen' && e.name !== 'node_modules') out.push(...(await sources(p)));
    } else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(?\s*)'(\.{1,2}\/[^']+)'/g;

test('coordinator and worker never import each other; each room imports only the rooms below it', async (t) => {
  const crossings: string[] = [];
  for (const [room, allowed] of Object.entries(ALLOWED)) {
    for (const file of await sources(join(REPO_ROOT, room))) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(SPECIFIER)) {
        const target = relative(REPO_ROOT, resolve(dirname(file), m[1] ?? ''));
        const targetRoom = target.split('/')[0] ?? '';
        if (targetRoom !== room && !allowed.includes(targetRoom)) crossings.push(`${relative(REPO_ROOT, file)} → ${target}`);
      }
    }
  }
  t.deepEqual(crossings, []);
});

test('every method in the catalog has a worker implementation, and the worker implements nothing the catalog lacks', async (t) => {
  t.deepEqual([...implementedMethods()].sort(), [...methodNames()].sort());
  for (const name of methodNames()) {
    const impl = await loadMethod(name);
    t.is(typeof impl?.run, 'function', name);
    t.is(getMethod(name)?.name, name);
  }
  t.is(loadMethod('no-such-method'), undefined);
});

test('every dataset in the catalog can be built by a worker, and each has an option schema', (t) => {
  t.deepEqual([...loadableDatasets()].sort(), [...datasetNames()].sort());
  for (const name of datasetNames()) t.truthy(datasetOptionsSchema(name), name);
});
