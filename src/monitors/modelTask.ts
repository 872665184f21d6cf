/** What a model predicts: the kind of output monitors judge, and which checks apply to it. */
export const MODEL_TASKS = ['binary', 'multiclass', 'regression'] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];
