import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** The repository root (tests run from dist/tests). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

export function readRepoText(...parts: string[]): Promise<string> {
  return readFile(repoPath(...parts), 'utf8');
}

/** A YAML file of the repository, parsed (one document; `<<` merge keys applied, as docker compose does). */
export async function readRepoYaml(...parts: string[]): Promise<unknown> {
  return parse(await readRepoText(...parts), { merge: true }) as unknown;
}

/** Every document of a multi-document YAML text; a syntax error throws naming `where`. */
export function parseYamlDocuments(text: string, where: string): unknown[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${where}: YAML document ${i}: ${doc.errors[0]?.message ?? 'invalid'}`);
    return doc.toJS() as unknown;
  });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
