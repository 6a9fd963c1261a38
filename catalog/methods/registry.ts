import type { MethodDescriptor } from './types.js';
import { sleepMethod } from './sleep.js';
import { zdtMethod } from './zdt.js';
import { commandMethod } from './command.js';
import { ermMethod } from './erm.js';
import { irmMethod } from './irm.js';
import { reprogramMethod, steerMethod } from './fairness.js';
import { finetuneMethod, loraMethod, taskArithmeticMethod } from './editing.js';
import { groupBalancingMethod, ibIrmMethod, irmExtrapolatedMethod, reweightMethod, subsampleMethod, vrexMethod } from './irm-family.js';

/** Every trial kind, by spec `method:` name: what the coordinator validates against and workers implement. */
const METHODS: ReadonlyMap<string, MethodDescriptor> = new Map(
  [sleepMethod, zdtMethod, ermMethod, irmMethod, vrexMethod, irmExtrapolatedMethod, ibIrmMethod, reweightMethod, subsampleMethod, groupBalancingMethod, taskArithmeticMethod, loraMethod, finetuneMethod, steerMethod, reprogramMethod, commandMethod].map((m) => [m.name, m]),
);

export function getMethod(name: string): MethodDescriptor | undefined {
  return METHODS.get(name);
}

export function methodNames(): string[] {
  return [...METHODS.keys()];
}
