/** Severities of the reference: 1 (mildest) to 5. */
export const SEVERITIES = [1, 2, 3, 4, 5] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The entry of a per-severity parameter table (index severity − 1). */
export function atSeverity<T>(table: readonly T[], severity: Severity): T {
  const v = table[severity - 1];
  if (v === undefined) throw new RangeError(`severity must be 1-5, got ${severity}`);
  return v;
}
