/**
 * Messages onnxruntime produces when an allocation fails (CPU arena, CUDA, cuDNN/cuBLAS).
 * Example: "... bfc_arena.cc:376 ... Failed to allocate memory for requested buffer of size N".
 */
const ALLOCATION_FAILURE =
  /Failed to allocate memory|out of memory|bad_alloc|ALLOC_FAILED|cudaErrorMemoryAllocation|Cannot allocate memory/i;

export function isAllocationFailure(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return ALLOCATION_FAILURE.test(message);
}
