import type * as tfType from '@tensorflow/tfjs';

type TF = typeof tfType;

/**
 * One dense layer, y = act(x·W + b), with a hand-written gradient that only multiplies
 * untransposed matrices. tfjs's own gradient of matMul multiplies by transposed operands
 * (dx = dy·Wᵀ, dW = xᵀ·dy), which the wasm backend runs on a slow path (about a tenth of the
 * speed of a plain matMul, measured by bench/training.ts); materialising Wᵀ and xᵀ first costs
 * O(n·in) copies and keeps every product on the fast path (XNNPACK). `inputGrad: false` skips dx
 * for a layer whose input is data (returns zeros, which nothing reads).
 */
export function dense(tf: TF, x: tfType.Tensor2D, w: tfType.Tensor2D, b: tfType.Tensor1D, relu: boolean, inputGrad = true): tfType.Tensor2D {
  const op = tf.customGrad((...args: unknown[]) => {
    const [xi, wi, bi, save] = args as [tfType.Tensor2D, tfType.Tensor2D, tfType.Tensor1D, (t: tfType.Tensor[]) => void];
    const y = tf.fused.matMul({ a: xi, b: wi, bias: bi, activation: relu ? 'relu' : 'linear' }) as tfType.Tensor2D;
    save([xi, wi, y]);
    return {
      value: y,
      gradFunc: (dy: tfType.Tensor | tfType.Tensor[], saved: tfType.Tensor[]) => {
        const [sx, sw, sy] = saved as [tfType.Tensor2D, tfType.Tensor2D, tfType.Tensor2D];
        const d = dy as tfType.Tensor2D;
        // ReLU passes the gradient where its output is positive.
        const g = relu ? tf.mul(d, tf.step(sy)) : d;
        const dx = inputGrad ? tf.matMul(g, tf.transpose(sw)) : tf.zerosLike(sx);
        const dw = tf.matMul(tf.transpose(sx), g);
        const db = tf.sum(g, 0);
        return [dx, dw, db];
      },
    };
  });
  return op(x, w, b) as tfType.Tensor2D;
}
