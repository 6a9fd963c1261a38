/**
 * Model selection as coordinator and workers agree on it: the value of SweepSpec.selection and
 * Shard.selection that makes workers train once per held-out training environment, and the prefix
 * of the metrics those folds report (what the coordinator ranks `test/` objectives on instead).
 */
export const LEAVE_ONE_DOMAIN_OUT = 'leave-one-domain-out';
export const LODO_METRIC_PREFIX = 'lodo';
