// The INT8 report shared with the service, the API and the web app (int8 contract).

/** What the INT8 check found for one weight; stored on the weight as JSON, shown on the weight page. */
export interface Int8Report {
  /**
   * offered: INT8 passes the quality gate and is faster; refused: quality below the gate;
   * not_faster: quality ok but not measurably faster on this CPU; unsupported: nothing to
   * quantise or an operator the quantiser does not handle.
   */
  state: "offered" | "refused" | "not_faster" | "unsupported";
  /** One English sentence with the figures. */
  reason: string;
  /** Super-resolution: PSNR of the INT8 output against the FP32 output (lowest over the calibration images), dB. */
  psnrDb?: number;
  /** Segmentation: share of mask pixels (spec threshold) on which INT8 and FP32 agree, 0..1 (lowest image). */
  maskAgreement?: number;
  /** Model time FP32 / INT8 on the same input in this process (best of a few runs). */
  speedup?: number;
  fp32Ms?: number;
  int8Ms?: number;
  quantizedConvs?: number;
  totalConvs?: number;
  /** Whether the CPU has VNNI (x86 avx512_vnni / avx_vnni), as read from the OS. */
  vnni?: boolean;
  /** Input side (px) the speed was measured at. */
  speedSide?: number;
  measuredAt: string;
}

export const INT8_GATE = { minPsnrDb: 40, minMaskAgreement: 0.995, minSpeedup: 1.2 } as const;
