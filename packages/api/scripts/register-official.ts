// Setup step: record the fetched official weights in the store (see registerOfficialWeights).
import { getDb } from "@studio/db/client";
import { env } from "../src/env";
import { registerOfficialWeights } from "../src/services/official-weights";

const { registered, available } = await registerOfficialWeights(getDb(), env().DATA_DIR);
console.log(
  `official weights: ${available} available, ${registered.length} newly registered${registered.length ? ` (${registered.join(", ")})` : ""}`,
);
await getDb().$disconnect();
