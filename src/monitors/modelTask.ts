/** What a model predicts: the kind of output monitors judge, and which checks apply to it. */
export const MODEL_TASKS = ['binary', 'multiclass', 'regression'] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

/**
 * A regression's prediction (the events' score, the baseline's `score` column) as checks
 * name it: `{ metric: ks, features: [prediction] }` checks its drift like a numeric feature's.
 */
export const PREDICTION_FEATURE = 'prediction';
