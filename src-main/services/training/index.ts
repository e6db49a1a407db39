export { runTraining, defaultRunId, specHash, RUN_ID_PATTERN, type RunTrainingOptions } from './run';
export { planTrainingData, type TrainingData, type TrainingItem } from './data';
export { inverseFrequencyWeights, crossEntropy } from '../../engine/loss';
