import test from 'ava';
import { pairWins, parseMotpeOptions } from '../bench/search.js';

test('pairWins: the share of pairs won, ties counting one half', (t) => {
  // Pairs (1,2) lost, (2,2) tie, (3,2) won: (0 + ½ + 1) / 3.
  t.is(pairWins([1, 2, 3], [2]), 0.5);
  t.is(pairWins([5, 6], [1, 2, 3]), 1);
  t.is(pairWins([0], [1, 2]), 0);
  // Two seeds each, 3 of 4 pairs won.
  t.is(pairWins([0.3, 0.1], [0.2, 0.05]), 0.75);
});

test('BENCH_MOTPE: settings read, anything else named', (t) => {
  t.deepEqual(parseMotpeOptions(undefined), {});
  t.deepEqual(parseMotpeOptions('bandwidth=neighbors, liar=false'), { bandwidth: 'neighbors', liar: false });
  t.deepEqual(parseMotpeOptions('startup=5,candidates=48,multivariate=true'), { startup: 5, candidates: 48, multivariate: true });
  t.throws(() => parseMotpeOptions('bandwidth=wide'), { message: /cannot read "bandwidth=wide"/ });
  t.throws(() => parseMotpeOptions('liar'), { message: /cannot read "liar"/ });
  t.throws(() => parseMotpeOptions('startup=0'), { message: /cannot read "startup=0"/ });
});
