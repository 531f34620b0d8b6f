import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
}

export interface AdamWMoments {
  readonly expAvg: tf.Variable;
  readonly expAvgSq: tf.Variable;
}

/**
 * torch.optim.AdamW (amsgrad off, single-tensor path of torch 1.13), per parameter and in torch's order:
 *   p *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
 *   p += (-lr/(1-b1^t)) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
 * Scalars are computed in float64 and applied as float32, as torch does. Note that for the bundle's lr 1e-4 and
 * weight decay 1e-5, 1 - lr*wd rounds to exactly 1 in float32: the decay is a no-op, in torch as here.
 */
export class AdamW {
  private readonly state = new Map<string, AdamWMoments>();
  private t = 0;
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(opts: AdamWOptions) {
    this.lr = opts.lr;
    this.weightDecay = opts.weightDecay;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    for (const [name, v] of Object.entries({ lr: this.lr, weightDecay: this.weightDecay, eps: this.eps })) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`AdamW ${name} must be a finite number >= 0, got ${v}`);
    }
    for (const [name, b] of Object.entries({ beta1: this.beta1, beta2: this.beta2 })) {
      if (!(b >= 0 && b < 1)) throw new RangeError(`AdamW ${name} must be in [0, 1), got ${b}`);
    }
  }

  get stepCount(): number {
    return this.t;
  }

  /** Moments of parameter `name` (undefined before its first step). */
  moments(name: string): AdamWMoments | undefined {
    return this.state.get(name);
  }

  /** One step over `params` with their gradients (same keys); parameters without a gradient are left alone. */
  step(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void {
    this.t += 1;
    const t = this.t;
    const decay = 1 - this.lr * this.weightDecay;
    const stepSize = this.lr / (1 - this.beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - this.beta2 ** t);
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) throw new Error(`AdamW: gradient for unknown parameter "${name}"`);
      const s = this.moments(name) ?? this.init(name, p);
      tf.tidy(() => {
        p.assign(p.mul(decay));
        s.expAvg.assign(s.expAvg.mul(this.beta1).add(g.mul(1 - this.beta1)));
        s.expAvgSq.assign(s.expAvgSq.mul(this.beta2).add(g.mul(1 - this.beta2).mul(g)));
        const denom = tf.sqrt(s.expAvgSq).div(bc2Sqrt).add(this.eps);
        p.assign(p.add(s.expAvg.mul(-stepSize).div(denom)));
      });
    }
  }

  private init(name: string, p: tf.Variable): AdamWMoments {
    const s = tf.tidy(() => ({ expAvg: tf.variable(tf.zerosLike(p), false), expAvgSq: tf.variable(tf.zerosLike(p), false) }));
    this.state.set(name, s);
    return s;
  }

  dispose(): void {
    for (const s of this.state.values()) {
      s.expAvg.dispose();
      s.expAvgSq.dispose();
    }
    this.state.clear();
  }
}
