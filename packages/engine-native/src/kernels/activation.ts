/**
 * tfjs's fused activations as the codes the addon understands (src/native/context.cc: append_activation).
 * 'prelu' has a weight tensor oneDNN's post-ops cannot take here: those calls stay on the `cpu` kernel.
 */
const ACTIVATION_CODES: Readonly<Record<string, number>> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  leakyrelu: 3,
  sigmoid: 4,
  elu: 5,
};

/** The addon's code for a tfjs fused activation name, or undefined when it has none. */
export function activationCode(name: string): number | undefined {
  return ACTIVATION_CODES[name];
}
