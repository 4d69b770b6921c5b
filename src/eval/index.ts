// Public API of the evaluation stage: metrics, model selection, memorization scores.

export {
  type Evaluation,
  predictionsFromLogits,
  groupAccuracies,
  evaluatePredictions,
  evaluateLogits,
  crossMistakeGroups,
  crossMistakeNumGroups,
} from './metrics.js';
export {
  type EvalRecord,
  type SelectionCriterion,
  type CombinationRun,
  type SeedSummary,
  SELECTION_CRITERIA,
  criterionValue,
  selectStep,
  selectCombination,
  summarizeSeeds,
} from './selection.js';
export {
  type GroupScoreSummary,
  MEMORIZATION_QUANTILES,
  labelProbabilities,
  memorizationScores,
  quantileOfSorted,
  scoresByGroup,
} from './memorization.js';
