import test from 'ava';
import { loadDataset } from '../worker/datasets/index.js';
import { DatasetError } from '../worker/errors.js';

test('the spurious dataset is deterministic by seed and has the documented shape', (t) => {
  const a = loadDataset('spurious', { n: 1000, d: 3 }, 4);
  const b = loadDataset('spurious', { n: 1000, d: 3 }, 4);
  const c = loadDataset('spurious', { n: 1000, d: 3 }, 5);
  t.deepEqual(a.train.x, b.train.x);
  t.notDeepEqual(a.train.x, c.train.x);
  t.is(a.dim, 5);
  t.is(a.train.n, 1000);
  t.is(a.train.x.length, 1000 * 5);
  t.is(a.environments.length, 2);
  t.is(a.val.n, 250);
  t.is(a.test.n, 500);
});

test('environments follow their majority share; core and spurious features follow y and a', (t) => {
  const d = loadDataset('spurious', { n: 20000, d: 0, env_p_maj: [0.9, 0.6] }, 1);
  d.environments.forEach((env, e) => {
    let maj = 0;
    let core = 0;
    for (let i = 0; i < env.n; i++) {
      const [yy, aa] = env.group[i]!.replace('y=', '').split(',a=').map(Number);
      if (yy === aa) maj++;
      core += env.x[i * 2]! * (yy as number);
      t.true(Math.abs(env.x[i * 2 + 1]! - (aa as number)) < 1, 'x_s near a');
    }
    const expected = [0.9, 0.6][e]!;
    t.true(Math.abs(maj / env.n - expected) < 0.02, `env ${e}: ${maj / env.n}`);
    t.true(Math.abs(core / env.n - 1) < 0.05, 'E[x_c · y] = 1');
  });
});

test('bad dataset options are named', (t) => {
  t.throws(() => loadDataset('spurious', { n: 'many' }, 0), { instanceOf: DatasetError, message: /dataset\.n/ });
  t.throws(() => loadDataset('spurious', { bogus: 1 }, 0), { instanceOf: DatasetError, message: /dataset\.bogus: unknown option/ });
  t.throws(() => loadDataset('nope', {}, 0), { instanceOf: DatasetError, message: /unknown dataset "nope"/ });
});

test('trainval: validation rows from the training environments (training-domain selection), apart from the test-distributed val split', (t) => {
  const share = (s: { attribute: string[]; y: Float32Array }): number => s.attribute.filter((a, i) => (a === 'a=1') === (s.y[i] === 1)).length / s.attribute.length;
  const d = loadDataset('spurious', { n: 8000, d: 1, env_p_maj: [0.95, 0.7], test_p_maj: 0.1 }, 3);
  t.truthy(d.trainval);
  t.is(d.trainval?.n, d.val.n);
  t.true(Math.abs(share(d.trainval ?? d.val) - 0.825) < 0.03, `trainval majority share ${share(d.trainval ?? d.val)}`);
  t.true(Math.abs(share(d.val) - 0.1) < 0.03);
  t.deepEqual(loadDataset('spurious', { n: 8000, d: 1, env_p_maj: [0.95, 0.7], test_p_maj: 0.1 }, 3).trainval?.x, d.trainval?.x);
});

test('colored-mnist and toxicity have trainval rows drawn like their training environments', (t) => {
  const cm = loadDataset('colored-mnist', { n_train: 400, n_test: 200, n_val: 200 }, 0);
  t.is(cm.trainval?.n, 200);
  // Color agrees with the label about 85 % of the time in the training environments (e 0.2, 0.1), 50 % in val (e 0.5).
  const agree = (s: { attribute: string[]; y: Float32Array }): number => s.attribute.filter((a, i) => a === `color=${s.y[i]}`).length / s.attribute.length;
  t.true(agree(cm.trainval ?? cm.val) > 0.75, `trainval color agreement ${agree(cm.trainval ?? cm.val)}`);
  t.true(Math.abs(agree(cm.val) - 0.5) < 0.12);
  t.truthy(loadDataset('toxicity', {}, 0).trainval);
});
