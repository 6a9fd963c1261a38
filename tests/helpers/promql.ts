import { parser } from '@prometheus-io/lezer-promql';

/** A PromQL expression that does not parse, or names a metric nobody exports. */
export class PromqlCheckError extends Error {
  override name = 'PromqlCheckError';
}

/** Values for Grafana's built-in and dashboard variables, so that a panel query becomes plain PromQL. */
export const GRAFANA_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '1h',
  sweep: '.*',
};

/** Replaces `$name` and `${name}` by `values[name]`; an unknown variable throws. */
export function expandGrafanaVariables(expr: string, values: Readonly<Record<string, string>> = GRAFANA_VARIABLES): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = values[name];
    if (value === undefined) throw new PromqlCheckError(`unknown Grafana variable ${whole} in: ${expr}`);
    return value;
  });
}

/** The metric names an expression selects; a syntax error throws with its position. */
export function metricNames(expr: string): string[] {
  const tree = parser.parse(expr);
  const names: string[] = [];
  let error: number | undefined;
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) error ??= node.from;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') names.push(expr.slice(node.from, node.to));
    },
  });
  if (error !== undefined) throw new PromqlCheckError(`PromQL syntax error at ${error}: ${expr.slice(0, error)}⟨here⟩${expr.slice(error)}`);
  return names;
}

/** Throws unless every metric `expr` selects is in `known`. */
export function checkMetricNames(expr: string, known: ReadonlySet<string>, where: string): void {
  const unknown = metricNames(expr).filter((n) => !known.has(n));
  if (unknown.length > 0) throw new PromqlCheckError(`${where}: unknown metric ${unknown.join(', ')} in: ${expr}`);
}
