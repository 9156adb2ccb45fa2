import * as ort from "onnxruntime-node";
import { GraphBuilder } from "./src/onnx/write";
const g = new GraphBuilder("alloc_fail");
const x = g.input("x", "float32", [1]);
const s = g.input("s", "int64", [1]);
g.output(g.node("ReduceSum", [g.node("Expand", [x, s])], undefined, { outputs: ["y"] }), "float32", [1]);
const failing = await ort.InferenceSession.create(g.toModel(), { logSeverityLevel: 4 });
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  try { await failing.run({ x: new ort.Tensor("float32", new Float32Array([1]), [1]), s: new ort.Tensor("int64", new BigInt64Array([20_000_000_000n]), [1]) }); } catch (e) { console.log(i, performance.now() - t); }
}
