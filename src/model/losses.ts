/**
 * Training losses on standardized forecasts [N, B, H, K] with a mask of known targets (gaps left
 * out): L1 per step (a median forecast, as published), and the pinball loss of the forecast's
 * maximum over the first L steps — what the planner sizes for — at a high quantile τ.
 */
import { tf } from './backend.js';

/** Mean absolute error over the known targets. */
export function maskedL1(predicted: tf.Tensor4D, actual: tf.Tensor4D, mask: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(tf.abs(tf.sub(predicted, actual)), mask)), tf.maximum(tf.sum(mask), 1)));
}

/**
 * Pinball loss at τ of max_{h<L} predicted against max_{h<L} actual (over known steps), averaged
 * over the (node, window, target) cells with at least one known step. Its gradient reaches only the
 * step holding the forecast peak: −τ when the realized peak is above it, 1 − τ when below.
 */
export function peakPinball(predicted: tf.Tensor4D, actual: tf.Tensor4D, mask: tf.Tensor4D, tau: number, steps: number): tf.Scalar {
  return tf.tidy(() => {
    const window = (t: tf.Tensor4D): tf.Tensor4D => tf.slice(t, [0, 0, 0, 0], [-1, -1, Math.min(steps, t.shape[2]), -1]);
    const known = window(mask);
    const forecastPeak = tf.max(window(predicted), 2);
    // Gaps must never be the peak: push them far below any standardized value.
    const realizedPeak = tf.max(tf.add(window(actual), tf.mul(tf.sub(known, 1), 1e9)), 2);
    const valid = tf.max(known, 2);
    const d = tf.mul(tf.sub(realizedPeak, forecastPeak), valid);
    const loss = tf.add(tf.mul(tf.relu(d), tau), tf.mul(tf.relu(tf.neg(d)), 1 - tau));
    return tf.div(tf.sum(loss), tf.maximum(tf.sum(valid), 1));
  });
}
