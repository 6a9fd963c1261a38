import type * as tfType from '@tensorflow/tfjs';

type TF = typeof tfType;

/**
 * One dense layer of K packed models, y[k] = act(x[k]·W[k] + b[k]) for x [K, n, in], W [K, in, out],
 * b [K, 1, out], with the gradient dense.ts uses for one model: tfjs's own gradient of a batched
 * matMul multiplies by transposed operands, which the wasm backend runs on a slow path, so Wᵀ and xᵀ
 * are materialised first and every product is a plain one.
 */
export function batchedDense(tf: TF, x: tfType.Tensor3D, w: tfType.Tensor3D, b: tfType.Tensor3D, relu: boolean, inputGrad = true): tfType.Tensor3D {
  const op = tf.customGrad((...args: unknown[]) => {
    const [xi, wi, bi, save] = args as [tfType.Tensor3D, tfType.Tensor3D, tfType.Tensor3D, (t: tfType.Tensor[]) => void];
    const pre = tf.add(tf.matMul(xi, wi), bi);
    const y = (relu ? tf.relu(pre) : pre) as tfType.Tensor3D;
    save([xi, wi, y]);
    return {
      value: y,
      gradFunc: (dy: tfType.Tensor | tfType.Tensor[], saved: tfType.Tensor[]) => {
        const [sx, sw, sy] = saved as [tfType.Tensor3D, tfType.Tensor3D, tfType.Tensor3D];
        const d = dy as tfType.Tensor3D;
        const g = relu ? tf.mul(d, tf.step(sy)) : d;
        const dx = inputGrad ? tf.matMul(g, tf.transpose(sw, [0, 2, 1])) : tf.zerosLike(sx);
        const dw = tf.matMul(tf.transpose(sx, [0, 2, 1]), g);
        const db = tf.sum(g, 1, true);
        return [dx, dw, db];
      },
    };
  });
  return op(x, w, b) as tfType.Tensor3D;
}
