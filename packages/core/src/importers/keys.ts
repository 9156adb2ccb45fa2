import type { Architecture } from "../architectures/types";
import { type DType, formatShape, isFloatDType, type StateDict } from "./tensor";

export interface KeyReport {
  /** Required keys of the architecture absent from the file. */
  missing: { key: string; expectedShape: number[] }[];
  /** Keys in the file the architecture does not use (ignored, as PyTorch's strict=False). */
  unexpected: { key: string; shape: number[]; dtype: DType }[];
  shapeMismatches: { key: string; expectedShape: number[]; actualShape: number[] }[];
  /** Parameters stored with an integer or boolean dtype where floats are needed. */
  dtypeMismatches: { key: string; dtype: DType }[];
  /** Keys matched with the right shape. */
  matched: number;
}

/** Compares a state_dict with an architecture's parameter list. */
export function checkKeys(tensors: StateDict, architecture: Architecture): KeyReport {
  const report: KeyReport = {
    missing: [],
    unexpected: [],
    shapeMismatches: [],
    dtypeMismatches: [],
    matched: 0,
  };
  const expected = new Set<string>();
  for (const spec of architecture.parameters) {
    expected.add(spec.name);
    const tensor = tensors.get(spec.name);
    if (!tensor) {
      if (spec.required) report.missing.push({ key: spec.name, expectedShape: spec.shape });
      continue;
    }
    if (formatShape(tensor.shape) !== formatShape(spec.shape)) {
      report.shapeMismatches.push({
        key: spec.name,
        expectedShape: spec.shape,
        actualShape: tensor.shape,
      });
      continue;
    }
    if (spec.required && !isFloatDType(tensor.dtype)) {
      report.dtypeMismatches.push({ key: spec.name, dtype: tensor.dtype });
      continue;
    }
    report.matched++;
  }
  for (const [key, tensor] of tensors) {
    if (!expected.has(key))
      report.unexpected.push({ key, shape: tensor.shape, dtype: tensor.dtype });
  }
  return report;
}

export function keyProblems(report: KeyReport): string[] {
  return [
    ...report.missing.map(
      (m) => `missing key '${m.key}' (expected shape ${formatShape(m.expectedShape)})`,
    ),
    ...report.shapeMismatches.map(
      (m) =>
        `shape mismatch for '${m.key}': expected ${formatShape(m.expectedShape)}, file has ${formatShape(m.actualShape)}`,
    ),
    ...report.dtypeMismatches.map(
      (m) => `'${m.key}' is stored as ${m.dtype}, a floating-point tensor is needed`,
    ),
  ];
}
