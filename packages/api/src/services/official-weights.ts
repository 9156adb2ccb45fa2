import { listOfficialWeights, OFFICIAL_MODELS } from "@studio/core/official/catalog";
import type { Db } from "../db";

/**
 * Records the official weights that `fetchOfficialWeights` stored (checksum-verified) in
 * DATA_DIR/official as ready, team-less weights, so every team can run them. Idempotent: a
 * weight whose checksum is already recorded is left as it is (a site admin may have
 * deprecated it or changed the default). The first official weight of a task kind becomes
 * that kind's official default when none is set.
 */
export async function registerOfficialWeights(db: Db, dataDir: string) {
  const records = await listOfficialWeights(dataDir);
  const registered: string[] = [];
  for (const record of records) {
    const model = OFFICIAL_MODELS.find((m) => m.name === record.name);
    // The manifest's graph I/O describes the file of its checksum only; a record left by an
    // older manifest is brought up to date by the next fetch (setup runs it before this).
    if (!model || record.sha256 !== model.onnx.sha256) continue;
    const existing = await db.weight.findFirst({
      where: { isOfficial: true, sha256: record.sha256 },
      select: { id: true },
    });
    if (existing) continue;
    // Recorded in the manifest from the inspection of exactly these bytes (pinned by sha256),
    // so the API needs no ONNX parser.
    const info = model.graph;
    const hasDefault = await db.weight.count({
      where: { isOfficial: true, taskKind: model.kind, isDefault: true },
    });
    await db.weight.create({
      data: {
        teamId: null,
        isOfficial: true,
        taskKind: model.kind,
        name: model.title,
        family: model.family,
        version: model.version,
        // first line: what the model is good for (the task form shows it); then where it is from
        description: `${model.purpose.summary}\n${model.license.notice}`,
        license: model.license.spdx,
        sha256: record.sha256,
        sizeBytes: record.bytes,
        sourceFormat: model.source.format,
        spec: JSON.stringify(record.spec),
        ioMetadata: JSON.stringify({
          inputs: info.inputs,
          outputs: info.outputs,
          opset: info.opset,
          opsets: info.opsetImports,
          parameterCount: info.parameterCount,
        }),
        status: "ready",
        validationReport: JSON.stringify({
          ok: true,
          source: model.source,
          verifiedSha256: record.sha256,
        }),
        isDefault: hasDefault === 0 && model.defaultForKind === true,
      },
      select: { id: true },
    });
    registered.push(model.name);
  }
  return { registered, available: records.length };
}
