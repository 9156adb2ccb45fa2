// The records `fetchOfficialWeights` leaves beside each official ONNX file, read without any
// ONNX or tarball code (the API registers official weights from them).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { OFFICIAL_MODELS, type OfficialModel } from "./manifest";

export interface OfficialWeightRecord {
  name: string;
  title: string;
  kind: OfficialModel["kind"];
  spec: OfficialModel["spec"];
  /** Absolute path of the .onnx file. */
  path: string;
  sha256: string;
  bytes: number;
  source: OfficialModel["source"];
  license: OfficialModel["license"];
  inputs: OfficialModel["inputs"];
  outputs: OfficialModel["outputs"];
}

export function officialDir(dataDir: string): string {
  return join(dataDir, "official");
}

/** Records of official models present in DATA_DIR/official (those whose .json exists). */
export async function listOfficialWeights(dataDir: string): Promise<OfficialWeightRecord[]> {
  const records: OfficialWeightRecord[] = [];
  for (const model of OFFICIAL_MODELS) {
    const json = join(officialDir(dataDir), `${model.name}.json`);
    if (!existsSync(json)) continue;
    records.push(JSON.parse(await readFile(json, "utf8")) as OfficialWeightRecord);
  }
  return records;
}
