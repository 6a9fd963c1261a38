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
  test: Split;
  /** Training environments (together, the train split) for methods that need them. */
  environments: Split[];
}
