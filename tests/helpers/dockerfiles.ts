import { existsSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { unknownCliFlags } from './cli-flags.js';
import { readRepoText, repoPath } from './repo-files.js';

export interface DockerfileReport {
  text: string;
  /** Linter diagnostics, COPY sources missing from the build context, unknown CLI flags in CMD. */
  problems: string[];
  /** The final stage's base image, ARG defaults substituted. */
  finalBase: string;
  /** The default command (exec form) given to the `fairsweep` entry point. */
  cmd: string[];
  /** ARG defaults. */
  args: Record<string, string>;
}

/** `.dockerignore` patterns as a predicate on context-relative paths. */
export function dockerIgnored(ignoreText: string): (path: string) => boolean {
  const patterns = ignoreText
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((p) => {
      const re = p
        .replace(/\/$/, '')
        .split('**/')
        .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))
        .join('(?:.*/)?');
      return new RegExp(`^${re}(?:/.*)?$`);
    });
  return (path) => patterns.some((re) => re.test(path.replace(/^\.\//, '').replace(/\/$/, '')));
}

/** Lints deploy/docker/NAME (optionally changed by `mutate` first) as built from the repository root. */
export async function lintDockerfile(name: string, ignoreText: string, mutate: (text: string) => string = (x) => x): Promise<DockerfileReport> {
  const text = mutate(await readRepoText('deploy', 'docker', name));
  const problems = validate(text).map((d) => `${name}:${d.range.start.line + 1}: ${d.message}`);
  const df = DockerfileParser.parse(text);
  const args: Record<string, string> = {};
  for (const a of df.getARGs()) {
    const p = a.getProperty();
    const key = p?.getName();
    const value = p?.getValue();
    if (key && value !== null && value !== undefined) args[key] = value;
  }
  const ignored = dockerIgnored(ignoreText);
  for (const copy of df.getCOPYs()) {
    if (copy.getFromFlag()) continue;
    const sources = copy.getArguments().slice(0, -1).map((a) => a.getValue());
    for (const src of sources) {
      if (!existsSync(repoPath(src))) problems.push(`${name}: COPY ${src}: not in the repository`);
      else if (ignored(src)) problems.push(`${name}: COPY ${src}: excluded by .dockerignore`);
    }
  }
  const froms = df.getFROMs();
  const last = froms[froms.length - 1]?.getImage() ?? '';
  const finalBase = last.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args[a ?? b ?? ''] ?? '');
  const cmds = df.getCMDs();
  const cmd = cmds[cmds.length - 1]?.getJSONStrings().map((s) => s.getJSONValue()) ?? [];
  const entry = df.getENTRYPOINTs().pop()?.getJSONStrings().map((s) => s.getJSONValue()) ?? [];
  if (entry.join(' ') !== 'fairsweep') problems.push(`${name}: ENTRYPOINT is ${JSON.stringify(entry)}, expected ["fairsweep"]`);
  for (const flag of unknownCliFlags(cmd)) problems.push(`${name}: CMD uses ${flag}, unknown to fairsweep ${cmd[0] ?? ''}`);
  return { text, problems, finalBase, cmd, args };
}
