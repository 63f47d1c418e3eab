/** The tfjs backend name of the native engine (what `tf.getBackend()` returns while it runs). */
export const NATIVE_BACKEND = 'native';
