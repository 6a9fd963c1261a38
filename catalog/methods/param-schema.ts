import { z } from 'zod';
import type { Param } from '../../proto/index.js';

/** Any parameter value: number, string, boolean or a list of them. */
export const paramSchemaLoose: z.ZodType<Param> = z.lazy(() =>
  z.union([z.number(), z.string(), z.boolean(), z.array(paramSchemaLoose)]),
);
