/** One split of a dataset: row-major features, 0/1 labels, the sensitive attribute and the (label, attribute) group. */
export interface Split {
  n: number;
  /** n × dim, row-major. */
  x: Float32Array;
  /** 0/1 labels. */
  y: Float32Array;
  /** Sensitive attribute of each row (for demographic parity, equalized odds, calibration). */
  attribute: string[];
  /** Group of each row for worst-group accuracy; in spurious-correlation data the pair (label, attribute). */
  group: string[];
}

export interface Dataset {
  name: string;
  dim: number;
  train: Split;
  val: Split;
  /**
   * Validation rows drawn from the training environments (DomainBed's training-domain validation),
   * disjoint from the training rows and drawn from a random stream of their own, so the other splits
   * are the same with or without it. Reported as `trainval/` metrics.
   */
  trainval?: Split;
  test: Split;
  /** Training environments (together, the train split) for methods that need them. */
  environments: Split[];
}

/** The splits a trial reports metrics on, by metric prefix: train, trainval (when the dataset has it), val, test. */
export function reportedSplits(data: Dataset): [name: string, split: Split][] {
  const splits: [name: string, split: Split][] = [['train', data.train]];
  if (data.trainval) splits.push(['trainval', data.trainval]);
  splits.push(['val', data.val], ['test', data.test]);
  return splits;
}

/** Seed of the random stream a dataset's trainval rows are drawn from, apart from the trial seed's own. */
export const trainvalSeed = (seed: number): number => (seed ^ 0x5bd1e995) >>> 0;
