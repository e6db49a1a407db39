/**
 * Referable-DR metrics in plain float64 TypeScript (no tfjs): P(referable) from the 5 grade outputs,
 * exact ROC AUC and sklearn-compatible ROC curve, operating points, DeLong variance / CI / paired test
 * (fast O(n log n)), and the stratified bootstrap. Oracles: test/golden/metrics (scikit-learn 1.2,
 * SciPy 1.10, a numpy fast-DeLong reference) and test/unit/evaluation (properties, bootstrap sanity).
 */
export { referableProbability, type ReferableOptions } from './probability';
export { rocAuc, rocCurve, type RocCurve, type RocCurveOptions } from './roc';
export { sensitivitySpecificityAt, thresholdForSensitivity, youdenPoint, type OperatingPoint, type YoudenPoint } from './operating-points';
export {
  aucCi,
  delongCi,
  delongVariance,
  pairedDelongTest,
  type CiMethod,
  type DeLongCi,
  type DeLongResult,
  type PairedDeLongResult,
} from './delong';
export {
  bootstrapAuc,
  pairedBootstrapAuc,
  quantileSorted,
  type BootstrapOptions,
  type BootstrapResult,
  type PairedBootstrapResult,
} from './bootstrap';
export { erfc, normalCdf, normalQuantile, normalSf, twoSidedP } from './normal';
export type { BinaryLabels } from './validate';
export { syntheticScores, type SyntheticScores } from './synthetic';
