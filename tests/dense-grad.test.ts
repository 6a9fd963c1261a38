import test from 'ava';
import type * as tfType from '@tensorflow/tfjs';
import { loadBackend } from '../worker/backend.js';
import { dense } from '../worker/training/dense.js';

test('the transpose-free dense gradient equals tfjs autodiff of matMul + bias + ReLU', async (t) => {
  const { tf } = await loadBackend();
  const before = tf.memory().numTensors;
  for (const relu of [true, false]) {
    const x = tf.randomNormal([13, 7], 0, 1, 'float32', 1) as tfType.Tensor2D;
    const w = tf.randomNormal([7, 5], 0, 1, 'float32', 2) as tfType.Tensor2D;
    const b = tf.randomNormal([5], 0, 1, 'float32', 3) as tfType.Tensor1D;
    const up = tf.randomNormal([13, 5], 0, 1, 'float32', 4);
    // A non-trivial scalar of the output, so the upstream gradient is not all ones.
    const loss = (f: (x: tfType.Tensor2D, w: tfType.Tensor2D, b: tfType.Tensor1D) => tfType.Tensor2D) =>
      tf.grads((xi: tfType.Tensor, wi: tfType.Tensor, bi: tfType.Tensor) => tf.sum(tf.mul(f(xi as tfType.Tensor2D, wi as tfType.Tensor2D, bi as tfType.Tensor1D), up)));
    const ours = loss((xi, wi, bi) => dense(tf, xi, wi, bi, relu))([x, w, b]);
    const reference = loss((xi, wi, bi) => {
      const pre = tf.add(tf.matMul(xi, wi), bi) as tfType.Tensor2D;
      return relu ? tf.relu(pre) : pre;
    })([x, w, b]);
    const value = tf.tidy(() => tf.max(tf.abs(tf.sub(dense(tf, x, w, b, relu), relu ? tf.relu(tf.add(tf.matMul(x, w), b)) : tf.add(tf.matMul(x, w), b)))));
    t.true(((await value.data())[0] as number) < 1e-5, 'same forward value');
    for (const [i, name] of ['x', 'W', 'b'].entries()) {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(ours[i]!, reference[i]!))));
      const diff = (await d.data())[0] as number;
      d.dispose();
      t.true(diff < 1e-4, `d/d${name} (relu ${relu}) differs by ${diff}`);
    }
    tf.dispose([x, w, b, up, value, ...ours, ...reference]);
  }
  t.is(tf.memory().numTensors, before, 'the custom gradient leaks no tensor');
});
