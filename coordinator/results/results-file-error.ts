/** A results.jsonl file cannot be read, or one of its lines is not a result: the message names the file and line. */
export class ResultsFileError extends Error {
  override name = 'ResultsFileError';
}
