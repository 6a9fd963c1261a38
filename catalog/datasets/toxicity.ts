import { z } from 'zod';

/**
 * Options of `toxicity`: a synthetic stand-in for hate-speech detection with identity mentions
 * (the Civil Comments setting). Each comment mentions one identity subgroup and is a bag of words
 * over toxic, neutral and identity terms; the label is driven by the toxic terms (a comment is
 * toxic with probability `base_rate` and then uses toxic words more often), while in the training
 * data the comments mentioning the `biased_groups` are toxic far more often (`biased_rate`), so
 * identity terms become a spurious cue — as in real toxicity data, where identity mentions
 * co-occur with toxic comments. Validation and test use `base_rate` for every subgroup.
 * Features: log(1 + count) per vocabulary term. Subgroups (`attribute`) are `id=<k>`.
 */
export const toxicityOptions = z.strictObject({
  n: z.number().int().min(40).max(1_000_000).default(4000),
  n_val: z.number().int().min(10).max(1_000_000).optional(),
  n_test: z.number().int().min(10).max(1_000_000).optional(),
  /** Number of identity subgroups. */
  groups: z.number().int().min(2).max(16).default(4),
  /** Share of comments mentioning each subgroup (default: equal). */
  group_shares: z.array(z.number().positive()).optional(),
  /** Subgroups over-represented among toxic training comments. */
  biased_groups: z.array(z.number().int().min(0)).default([0, 1]),
  base_rate: z.number().min(0.01).max(0.99).default(0.3),
  biased_rate: z.number().min(0.01).max(0.99).default(0.7),
  toxic_terms: z.number().int().min(1).max(1000).default(20),
  neutral_terms: z.number().int().min(0).max(10_000).default(60),
  identity_terms: z.number().int().min(1).max(100).default(3),
  /** Mean number of words per comment. */
  length: z.number().min(2).max(1000).default(20),
  /** Share of a toxic comment's words that are toxic terms (non-toxic comments: a tenth of it). */
  toxicity: z.number().min(0).max(1).default(0.1),
});

export type ToxicityOptions = z.output<typeof toxicityOptions>;
