import { getMethod } from '../../catalog/index.js';
import type { MethodImpl } from './types.js';
import { withLeaveOneDomainOut } from './lodo.js';
import { sleepImpl } from './sleep.js';
import { zdtImpl } from './zdt.js';

type Loader = () => Promise<MethodImpl>;
const mlp = () => import('./mlp-method.js');
const editing = () => import('./editing-method.js');
const fairness = () => import('./fairness-method.js');

/**
 * The implementation of every method the catalog describes, by name. Each loader imports its
 * numeric code on first use, so a worker that never runs a method never loads tfjs for it.
 */
const IMPLEMENTATIONS: ReadonlyMap<string, Loader> = new Map<string, Loader>([
  ['sleep', () => Promise.resolve(sleepImpl)],
  ['zdt', () => Promise.resolve(zdtImpl)],
  ['erm', async () => (await mlp()).ermImpl],
  ['irm', async () => (await mlp()).irmImpl],
  ['vrex', async () => (await mlp()).vrexImpl],
  ['irm-extrapolated', async () => (await mlp()).irmExtrapolatedImpl],
  ['ib-irm', async () => (await mlp()).ibIrmImpl],
  ['reweight', async () => (await mlp()).reweightImpl],
  ['subsample', async () => (await mlp()).subsampleImpl],
  ['group-balancing', async () => (await mlp()).groupBalancingImpl],
  ['task-arithmetic', async () => (await editing()).taskArithmeticImpl],
  ['lora', async () => (await editing()).loraImpl],
  ['finetune', async () => (await editing()).finetuneOnlyImpl],
  ['steer', async () => (await fairness()).steerImpl],
  ['reprogram', async () => (await fairness()).reprogramImpl],
  ['command', async () => (await import('./command/command-method.js')).commandImpl],
]);

/**
 * The implementation of a method, or undefined when this worker has none of that name. A method the
 * catalog says trains on environments (MethodDescriptor.leaveOneDomainOut) comes wrapped with its
 * leave-one-domain-out folds (lodo.ts), run when a trial's selection asks for them.
 */
export function loadMethod(name: string): Promise<MethodImpl> | undefined {
  const loading = IMPLEMENTATIONS.get(name)?.();
  if (!loading || !getMethod(name)?.leaveOneDomainOut) return loading;
  return loading.then(withLeaveOneDomainOut);
}

/** Names of the methods this worker implements. */
export function implementedMethods(): string[] {
  return [...IMPLEMENTATIONS.keys()];
}
