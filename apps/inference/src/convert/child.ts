// Child process that turns one uploaded state_dict (a PyTorch pickle or .safetensors) or NCNN
// .param/.bin pair into an ONNX file. Both converters are synchronous and CPU-bound (seconds for
// a 31M-parameter U-Net) and parse bytes an uploader chose, so they run here, under the memory
// cap and time limit of isolated/spawn.ts, instead of on an HTTP server's event loop.
import { createHash } from "node:crypto";
import { open, readFile, rename, stat } from "node:fs/promises";
import { importWeights } from "@studio/core/importers";
import { convertNcnnFiles, NcnnFormatError, NcnnUnsupportedError } from "@studio/core/ncnn";
import { holdPoint } from "../isolated/hold";
import { writingPathOf } from "../isolated/job-output";
import { serveOneJob } from "../isolated/serve";
import type { ConversionJob, ConversionResult } from "./job";

async function writeOnnx(output: string, bytes: Uint8Array) {
  const writing = writingPathOf(output);
  const file = await open(writing, "wx");
  try {
    // In two parts so a test can stop the process with a half-written file on disk.
    const half = Math.floor(bytes.byteLength / 2);
    await file.writeFile(bytes.subarray(0, half));
    await holdPoint("convert-writing");
    await file.writeFile(bytes.subarray(half));
  } finally {
    await file.close();
  }
  await rename(writing, output);
  return {
    size: bytes.byteLength,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

function tooLarge(what: string, size: number, maxBytes: number): ConversionResult {
  return {
    ok: false,
    status: 413,
    code: "payload_too_large",
    message: `${what} is ${size} bytes, larger than the limit of ${maxBytes} bytes`,
  };
}

async function convert(job: ConversionJob): Promise<ConversionResult> {
  await holdPoint("convert-start");
  if (job.kind === "state_dict") {
    const size = (await stat(job.file)).size;
    // Checked before reading, so a huge file is refused without being loaded.
    if (size > job.maxBytes) return tooLarge("the state_dict", size, job.maxBytes);
    const buffer = await readFile(job.file);
    const { onnx, report } = await importWeights({
      bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength),
      fileName: job.fileName,
      architecture: job.architecture,
      maxBytes: job.maxBytes,
    });
    if (!onnx || report.verdict !== "accepted") {
      return {
        ok: false,
        status: 422,
        code: report.error?.code ?? "import_rejected",
        message: report.summary,
        details: report,
      };
    }
    return { ok: true, kind: "state_dict", report, ...(await writeOnnx(job.output, onnx)) };
  }

  const size = (await stat(job.param)).size + (await stat(job.bin)).size;
  if (size > job.maxBytes) return tooLarge("the NCNN model (.param + .bin)", size, job.maxBytes);
  try {
    const { bytes, ...report } = await convertNcnnFiles(job.param, job.bin);
    return { ok: true, kind: "ncnn", report, ...(await writeOnnx(job.output, bytes)) };
  } catch (error) {
    if (error instanceof NcnnUnsupportedError)
      return { ok: false, status: 422, code: "ncnn_unsupported", message: error.message };
    if (error instanceof NcnnFormatError)
      return { ok: false, status: 422, code: "ncnn_format", message: error.message };
    throw error;
  }
}

serveOneJob(convert);
