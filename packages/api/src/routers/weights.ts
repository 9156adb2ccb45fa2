import { int8ReportSchema } from "@studio/contracts/inference/int8";
import { tensorInfoSchema } from "@studio/contracts/inference/validate";
import {
  ARCHITECTURE_FAMILY_DOCS,
  describeArchitecture,
  listArchitectureInfos,
} from "@studio/core/architectures/catalog";
import { z } from "zod";
import { checkWeightInt8, parseInt8Report } from "../services/int8";
import {
  defaultWeightFor,
  deleteWeight,
  getWeight,
  listWeights,
  setDefaultWeight,
  setDeprecated,
  weightTree,
} from "../services/weights";
import {
  protectedProcedure,
  router,
  siteAdminProcedure,
  teamAdminProcedure,
  teamProcedure,
} from "../trpc";
import {
  actorOutput,
  id,
  jsonRecord,
  storedSourceFormat,
  storedTaskKind,
  storedWeightStatus,
  taskKindSchema,
  weightStatusSchema,
} from "./schemas";

const weightSummary = z.object({
  id: z.string(),
  teamId: z.string().nullable(),
  isOfficial: z.boolean(),
  taskKind: storedTaskKind,
  name: z.string(),
  family: z.string(),
  version: z.string(),
  description: z.string(),
  sha256: z.string(),
  sizeBytes: z.number().int(),
  sourceFormat: storedSourceFormat,
  status: storedWeightStatus,
  validationError: z.string().nullable(),
  isDefault: z.boolean(),
  deprecatedAt: z.date().nullable(),
  license: z.string().nullable(),
  createdAt: z.date(),
  uploadedBy: actorOutput.nullable(),
  /**
   * What the INT8 check found (state, reason with the figures), null until checked; only an
   * "offered" weight runs with `precision: "int8"`.
   */
  int8: z.string().nullable().transform(parseInt8Report).pipe(int8ReportSchema.nullable()),
});
/**
 * What inspecting the ONNX file found (stored as JSON); empty lists and nulls until the weight
 * has been validated, or when a stored value is damaged.
 */
const ioMetadataOutput = jsonRecord.pipe(
  z.object({
    inputs: z.array(tensorInfoSchema).catch([]),
    outputs: z.array(tensorInfoSchema).catch([]),
    opset: z.number().nullable().catch(null),
    parameterCount: z.number().nullable().catch(null),
  }),
);
const weightIdInput = z.object({ weightId: id });
const deprecateInput = z.object({ weightId: id, deprecated: z.boolean().default(true) });
const changeOutput = z.object({
  id: z.string(),
  deprecatedAt: z.date().nullable(),
  isDefault: z.boolean(),
});
const defaultOutput = z.object({ id: z.string(), isDefault: z.literal(true) });
const deletedOutput = z.object({ deleted: z.literal(true) });
const architectureOutput = z.object({
  id: z.string(),
  name: z.string(),
  family: z.string(),
  taskKind: taskKindSchema,
  doc: z.string(),
  input: z.object({ name: z.string(), shape: z.array(z.union([z.number(), z.string()])) }),
  output: z.object({ name: z.string(), shape: z.array(z.union([z.number(), z.string()])) }),
  defaultSpec: jsonRecord,
  parameterCount: z.number().int(),
  requiredKeys: z.number().int(),
});

const architectureFamilyOutput = z.object({
  family: z.string(),
  name: z.string(),
  taskKind: taskKindSchema,
  summary: z.string(),
  recognisedBy: z.array(z.string()),
  idPattern: z.string(),
  hyperparameters: z.array(
    z.object({
      key: z.string(),
      pytorch: z.string(),
      range: z.object({ min: z.number().int(), max: z.number().int() }).optional(),
      values: z.array(z.union([z.number(), z.string()])).optional(),
      readFrom: z.string(),
    }),
  ),
  assumed: z.array(z.string()),
  examples: z.array(z.string()),
});

/** Uploads and downloads go through the file routes (see src/files). */
export const weightsRouter = router({
  list: teamProcedure
    .input(
      z.object({
        taskKind: taskKindSchema.nullish(),
        status: weightStatusSchema.nullish(),
        includeDeprecated: z.boolean().default(false),
      }),
    )
    .output(z.array(weightSummary))
    .query(({ ctx, input }) => listWeights(ctx.db, ctx.team.id, input)),

  tree: teamProcedure
    .output(
      z.array(
        z.object({
          taskKind: storedTaskKind,
          families: z.array(z.object({ family: z.string(), versions: z.array(weightSummary) })),
        }),
      ),
    )
    .query(({ ctx }) => weightTree(ctx.db, ctx.team.id)),

  get: teamProcedure
    .input(weightIdInput)
    .output(
      weightSummary.extend({
        spec: z.unknown(),
        ioMetadata: ioMetadataOutput,
        validationReport: jsonRecord,
        updatedAt: z.date(),
        activeTasks: z.number().int(),
      }),
    )
    .query(({ ctx, input }) => getWeight(ctx.db, ctx.team.id, input.weightId)),

  /** The team's default for the kind, else the official default, else null. */
  defaultFor: teamProcedure
    .input(z.object({ taskKind: taskKindSchema }))
    .output(weightSummary.nullable())
    .query(({ ctx, input }) => defaultWeightFor(ctx.db, ctx.team.id, input.taskKind)),

  setDefault: teamAdminProcedure
    .input(weightIdInput)
    .output(defaultOutput)
    .mutation(({ ctx, input }) =>
      setDefaultWeight(ctx.db, { teamId: ctx.team.id, isTeamAdmin: true }, input.weightId),
    ),

  deprecate: teamAdminProcedure
    .input(deprecateInput)
    .output(changeOutput)
    .mutation(({ ctx, input }) =>
      setDeprecated(
        ctx.db,
        { teamId: ctx.team.id, isTeamAdmin: true },
        input.weightId,
        input.deprecated,
      ),
    ),

  /** Refused while a queued or running task uses the weight. */
  delete: teamAdminProcedure
    .input(weightIdInput)
    .output(deletedOutput)
    .mutation(({ ctx, input }) =>
      deleteWeight(ctx.db, { teamId: ctx.team.id, isTeamAdmin: true }, input.weightId),
    ),

  /**
   * Quantises the weight to INT8 and measures quality and speed against FP32 (in the inference
   * service; may take minutes), and records the report on the weight: "offered" lets tasks and
   * previews use `precision: "int8"`. Team admins check team weights, site admins official ones.
   */
  checkInt8: teamProcedure
    .input(weightIdInput)
    .output(int8ReportSchema)
    .mutation(({ ctx, input, signal }) =>
      checkWeightInt8(
        ctx.db,
        ctx.inference,
        {
          teamId: ctx.team.id,
          isTeamAdmin: ctx.team.role === "ADMIN",
          isSiteAdmin: ctx.user.isSiteAdmin,
        },
        input.weightId,
        signal,
      ),
    ),

  /** Architectures a .pth/.pt/.safetensors upload can name (`architecture=<id>`). */
  architectures: protectedProcedure
    .input(z.object({ taskKind: taskKindSchema.nullish() }).optional())
    .output(z.array(architectureOutput))
    .query(({ input }) =>
      listArchitectureInfos()
        .filter((a) => !input?.taskKind || a.taskKind === input.taskKind)
        .map(describeArchitecture),
    ),

  /**
   * Every family a state_dict upload is detected as, with the hyperparameters read from the
   * file and the ranges accepted (`architectures` lists the fixed ids the upload form offers).
   */
  architectureFamilies: protectedProcedure
    .input(z.object({ taskKind: taskKindSchema.nullish() }).optional())
    .output(z.array(architectureFamilyOutput))
    .query(({ input }) =>
      ARCHITECTURE_FAMILY_DOCS.filter((f) => !input?.taskKind || f.taskKind === input.taskKind),
    ),

  /** Official weights belong to every team and are managed by site admins. */
  official: router({
    setDefault: siteAdminProcedure
      .input(weightIdInput)
      .output(defaultOutput)
      .mutation(({ ctx, input }) => setDefaultWeight(ctx.db, { official: true }, input.weightId)),
    deprecate: siteAdminProcedure
      .input(deprecateInput)
      .output(changeOutput)
      .mutation(({ ctx, input }) =>
        setDeprecated(ctx.db, { official: true }, input.weightId, input.deprecated),
      ),
    delete: siteAdminProcedure
      .input(weightIdInput)
      .output(deletedOutput)
      .mutation(({ ctx, input }) => deleteWeight(ctx.db, { official: true }, input.weightId)),
  }),
});
