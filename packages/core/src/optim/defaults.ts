/**
 * Defaults of the built-in optimizers and schedules: PyTorch's, so that a spec means the same as the same
 * recipe in PyTorch. The option schemas (and so the resolved spec) take their defaults from here.
 */
export const SGD_DEFAULTS = { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 } as const;
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, amsgrad: false } as const;
/** AdamW differs from Adam only in its weight decay default (torch.optim.AdamW: 0.01). */
export const ADAMW_DEFAULTS = { ...ADAM_DEFAULTS, weightDecay: 0.01 } as const;
export const RMSPROP_DEFAULTS = { alpha: 0.99, epsilon: 1e-8, momentum: 0, centered: false, weightDecay: 0 } as const;

export const STEP_SCHEDULE_DEFAULTS = { gamma: 0.1, unit: 'epoch' } as const;
export const COSINE_SCHEDULE_DEFAULTS = { minLr: 0 } as const;
