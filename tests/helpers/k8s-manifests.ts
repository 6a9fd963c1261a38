import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isRecord, parseYamlDocuments } from './repo-files.js';

const exec = promisify(execFile);

/** A rendered Kubernetes object (the fields tests look at; the rest stays as parsed). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

/** An object that fails its Kubernetes (or Prometheus Operator) schema. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** Renders a kustomization with `kubectl kustomize` (offline). */
export async function kustomize(dir: string): Promise<K8sObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await exec('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }));
  } catch (err) {
    const version = await exec('kubectl', ['version', '--client']).then((r) => r.stdout.replace(/\s+/g, ' '), () => 'kubectl not found');
    throw new ManifestError(`kubectl kustomize ${dir} failed (${version}; kustomize v5 is needed): ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseYamlDocuments(stdout, dir).map((doc, i) => {
    if (!isRecord(doc) || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string' || !isRecord(doc.metadata) || typeof doc.metadata.name !== 'string') {
      throw new ManifestError(`${dir}: document ${i} is not a Kubernetes object`);
    }
    return doc as K8sObject;
  });
}

type Model = new (data: unknown) => { validate(): void };

/** The module of kubernetes-models holding the classes of an apiVersion. */
function modelModule(apiVersion: string): string {
  if (apiVersion === 'monitoring.coreos.com/v1') return '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
  return `kubernetes-models/${apiVersion}`;
}

/** Validates an object against the OpenAPI schema of its kind (offline, through kubernetes-models). */
export async function validateObject(obj: K8sObject): Promise<void> {
  const where = `${obj.kind}/${obj.metadata.name} (${obj.apiVersion})`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modelModule(obj.apiVersion))) as Record<string, unknown>;
  } catch {
    throw new ManifestError(`${where}: no schema for apiVersion ${obj.apiVersion}`);
  }
  const model = mod[obj.kind];
  if (typeof model !== 'function') throw new ManifestError(`${where}: no schema for kind ${obj.kind}`);
  try {
    new (model as Model)(obj).validate();
  } catch (err) {
    throw new ManifestError(`${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new ManifestError(`no ${kind}/${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}
