/**
 * Evaluation of trained runs: evaluateRun (one run × dataset × split → evaluations/<name>/) and
 * studyResults (the results table, paired DeLong comparisons and Fig 2 series of a study). The
 * numbers themselves are in ./metrics.
 */
export { evaluateRun, evaluationName, defaultSplit, inSplit, type EvaluateOptions } from './evaluate';
export {
  studyResults,
  readEvaluation,
  resultsTableCsv,
  fig2Data,
  comparisonPairs,
  readPredictions,
  pairedTestOf,
  COMPARISONS,
  RESULTS_CSV_COLUMNS,
} from './results';
