/** Types evaluate.ts shares with the store and core. */
export type { DatasetSource, Split } from '@vgglab/core';
export type { NewEvaluation as NewEvaluationLike } from '@vgglab/store';
