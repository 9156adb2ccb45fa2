// Hot loops of tuning and the PNG writer, compiled to WebAssembly with 128-bit SIMD by
// packages/core/scripts/build-kernels.ts. The tuning arithmetic mirrors tuneStrips' JavaScript
// operation for operation (doubles, float32 roundings at the same points, no fused
// multiply-add), so a pixel does not depend on which one ran; kernels.test.ts checks that bit for
// bit, and the checksum and coder against zlib.
#include <stdint.h>
#include <stddef.h>
#include <wasm_simd128.h>

#define LUMA_R 0.299
#define LUMA_G 0.587
#define LUMA_B 0.114
#define ADLER_MOD 65521u
// Largest byte count whose Adler sums cannot overflow 32 bits before the modulo (zlib's NMAX),
// rounded down to whole 16-byte blocks.
#define ADLER_BLOCK_BYTES 5536u

/** ToUint8Clamp of JavaScript: NaN and below 0 to 0, above 255 to 255, ties to even. */
static inline uint8_t clamp_u8(double v) {
  return v > 0 ? (v < 255 ? (uint8_t)__builtin_nearbyint(v) : 255) : 0;
}

/** Samples as doubles, 16 at a time. */
static void widen_row(const uint8_t *restrict s, double *restrict f, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t v = wasm_v128_load(s + i);
    v128_t low = wasm_u16x8_extend_low_u8x16(v);
    v128_t high = wasm_u16x8_extend_high_u8x16(v);
    v128_t q[4] = {wasm_u32x4_extend_low_u16x8(low), wasm_u32x4_extend_high_u16x8(low),
                   wasm_u32x4_extend_low_u16x8(high), wasm_u32x4_extend_high_u16x8(high)};
    for (int k = 0; k < 4; k++) {
      wasm_v128_store(f + i + 4 * k, wasm_f64x2_convert_low_u32x4(q[k]));
      wasm_v128_store(f + i + 4 * k + 2,
                      wasm_f64x2_convert_low_u32x4(wasm_i32x4_shuffle(q[k], q[k], 2, 3, 2, 3)));
    }
  }
  for (; i < n; i++) f[i] = s[i];
}

/** Rounds both lanes to float32 and back, as Math.fround or a Float32Array store does. */
static inline v128_t fround2(v128_t v) {
  return wasm_f64x2_promote_low_f32x4(wasm_f32x4_demote_f64x2_zero(v));
}

static inline v128_t load_floats2(const float *p) {
  return wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(p));
}

/**
 * Luma of one RGB row (`f`: its samples as doubles), rounded to float32 as tuneStrips' generic
 * path stores it, then its 3-tap horizontal blur (edges replicated), two pixels at a time: the
 * three products of a pixel are added in the order lr * R + lg * G + lb * B.
 */
static void luma_across3(const double *restrict f, int w, float *restrict luma,
                         float *restrict across, double k_side, double k_centre) {
  const v128_t w0 = wasm_f64x2_make(LUMA_R, LUMA_G);
  const v128_t w1 = wasm_f64x2_make(LUMA_B, LUMA_R);
  const v128_t w2 = wasm_f64x2_make(LUMA_G, LUMA_B);
  int x = 0;
  for (; x + 2 <= w; x += 2) {
    const double *p = f + 3 * x;
    v128_t p0 = wasm_f64x2_mul(wasm_v128_load(p), w0);
    v128_t p1 = wasm_f64x2_mul(wasm_v128_load(p + 2), w1);
    v128_t p2 = wasm_f64x2_mul(wasm_v128_load(p + 4), w2);
    v128_t red = wasm_i64x2_shuffle(p0, p1, 0, 3);
    v128_t green = wasm_i64x2_shuffle(p0, p2, 1, 2);
    v128_t blue = wasm_i64x2_shuffle(p1, p2, 0, 3);
    v128_t l = wasm_f64x2_add(wasm_f64x2_add(red, green), blue);
    wasm_v128_store64_lane(luma + x, wasm_f32x4_demote_f64x2_zero(l), 0);
  }
  for (; x < w; x++) {
    luma[x] = (float)(LUMA_R * f[3 * x] + LUMA_G * f[3 * x + 1] + LUMA_B * f[3 * x + 2]);
  }
  const v128_t side = wasm_f64x2_splat(k_side);
  const v128_t centre = wasm_f64x2_splat(k_centre);
  // Edge pixels see themselves as their missing neighbour.
  across[0] = (float)(k_side * ((double)luma[0] + (double)luma[w > 1 ? 1 : 0]) +
                      k_centre * (double)luma[0]);
  x = 1;
  for (; x + 2 <= w - 1; x += 2) {
    v128_t sum = wasm_f64x2_add(load_floats2(luma + x - 1), load_floats2(luma + x + 1));
    v128_t a = wasm_f64x2_add(wasm_f64x2_mul(side, sum),
                              wasm_f64x2_mul(centre, load_floats2(luma + x)));
    wasm_v128_store64_lane(across + x, wasm_f32x4_demote_f64x2_zero(a), 0);
  }
  for (; x < w; x++) {
    double next = luma[x + 1 < w ? x + 1 : x];
    across[x] = (float)(k_side * ((double)luma[x - 1] + next) + k_centre * (double)luma[x]);
  }
}

/** kc * sample + common, rounded and clamped to 0..255 as a Uint8ClampedArray store. */
static inline v128_t tuned2(v128_t samples, v128_t kc, v128_t common) {
  v128_t v = wasm_f64x2_nearest(wasm_f64x2_add(wasm_f64x2_mul(kc, samples), common));
  v = wasm_f64x2_pmax(wasm_f64x2_pmin(v, wasm_f64x2_splat(255)), wasm_f64x2_splat(0));
  return wasm_i32x4_trunc_sat_f64x2_zero(v);
}

/**
 * The fused default tuning (3-tap sharpen of 8-bit RGB) for one strip. `src` holds the window's
 * rows (row i = image row y0 - 1 + i, clamped), `luma` and `across` the window's luma and its
 * horizontal blur; rows below `carried` were computed by the previous strip. Writes `out_rows`
 * tuned rows (window rows 1..out_rows) to `out`, then carries the window's last two rows of
 * luma and blur to its top for the next strip. `wide` holds one row of samples as doubles.
 */
void sharpen3_strip(const uint8_t *restrict src, float *restrict luma, float *restrict across,
                    uint8_t *restrict out, double *restrict wide, int w, int rows, int carried,
                    int out_rows, double k_side, double k_centre, double kc, double ky,
                    double kb, double offset) {
  const int row_len = 3 * w;
  for (int row = carried; row < rows; row++) {
    widen_row(src + row * row_len, wide, row_len);
    luma_across3(wide, w, luma + row * w, across + row * w, k_side, k_centre);
  }
  const v128_t side = wasm_f64x2_splat(k_side);
  const v128_t centre = wasm_f64x2_splat(k_centre);
  const v128_t kc2 = wasm_f64x2_splat(kc);
  const v128_t ky2 = wasm_f64x2_splat(ky);
  const v128_t kb2 = wasm_f64x2_splat(kb);
  const v128_t offset2 = wasm_f64x2_splat(offset);
  for (int y = 0; y < out_rows; y++) {
    const int row = y + 1;
    widen_row(src + row * row_len, wide, row_len);
    const float *l = luma + row * w;
    const float *c = across + row * w;
    const float *up = c - w;
    const float *down = c + w;
    uint8_t *t = out + y * row_len;
    int x = 0;
    for (; x + 4 <= w; x += 4) {
      v128_t bytes[2];
      for (int half = 0; half < 2; half++) {
        const int at = x + 2 * half;
        v128_t blurred = fround2(wasm_f64x2_add(
            wasm_f64x2_mul(centre, load_floats2(c + at)),
            wasm_f64x2_mul(side, wasm_f64x2_add(load_floats2(up + at), load_floats2(down + at)))));
        v128_t common = wasm_f64x2_add(
            wasm_f64x2_sub(wasm_f64x2_mul(ky2, load_floats2(l + at)),
                           wasm_f64x2_mul(kb2, blurred)),
            offset2);
        const double *p = wide + 3 * at;
        // Samples R0 G0 | B0 R1 | G1 B1 with the common term of their pixel.
        v128_t t0 = tuned2(wasm_v128_load(p), kc2, wasm_i64x2_shuffle(common, common, 0, 0));
        v128_t t1 = tuned2(wasm_v128_load(p + 2), kc2, common);
        v128_t t2 = tuned2(wasm_v128_load(p + 4), kc2, wasm_i64x2_shuffle(common, common, 1, 1));
        // Six 32-bit results: t0 and t1's low lanes, then t2's.
        bytes[half] = wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5);
        bytes[half] = wasm_u16x8_narrow_i32x4(bytes[half], t2);
      }
      // Twelve 16-bit values in order: half 0's six, then half 1's six.
      v128_t merged = wasm_i16x8_shuffle(bytes[0], bytes[1], 0, 1, 2, 3, 4, 5, 8, 9);
      v128_t tail = wasm_i16x8_shuffle(bytes[1], bytes[1], 2, 3, 4, 5, 0, 0, 0, 0);
      v128_t packed = wasm_u8x16_narrow_i16x8(merged, tail);
      wasm_v128_store64_lane(t + 3 * x, packed, 0);
      wasm_v128_store32_lane(t + 3 * x + 8, packed, 2);
    }
    for (; x < w; x++) {
      float blurred =
          (float)(k_centre * (double)c[x] + k_side * ((double)up[x] + (double)down[x]));
      double common = ky * (double)l[x] - kb * (double)blurred + offset;
      t[3 * x] = clamp_u8(kc * wide[3 * x] + common);
      t[3 * x + 1] = clamp_u8(kc * wide[3 * x + 1] + common);
      t[3 * x + 2] = clamp_u8(kc * wide[3 * x + 2] + common);
    }
  }
  __builtin_memmove(luma, luma + (rows - 2) * w, 2 * w * sizeof(float));
  __builtin_memmove(across, across + (rows - 2) * w, 2 * w * sizeof(float));
}

/** The four unsigned 32-bit lanes added up. */
static inline uint64_t lanes_total(v128_t v) {
  return (uint64_t)(uint32_t)wasm_i32x4_extract_lane(v, 0) +
         (uint32_t)wasm_i32x4_extract_lane(v, 1) + (uint32_t)wasm_i32x4_extract_lane(v, 2) +
         (uint32_t)wasm_i32x4_extract_lane(v, 3);
}

/**
 * PNG "Up" filter of `rows` rows of `row_bytes` bytes (`rows_in` holds the row above the first,
 * or zeros, then the rows): each output row is the filter type byte 2 and the byte-wise
 * difference modulo 256. Returns how many 4-byte groups of the rows (from each row's start)
 * equal the group above: runs that run-length matching can shorten.
 */
uint32_t filter_up8(const uint8_t *restrict rows_in, uint8_t *restrict out, int row_bytes,
                    int rows) {
  uint32_t runs = 0;
  for (int y = 0; y < rows; y++) {
    const uint8_t *above = rows_in + y * row_bytes;
    const uint8_t *cur = above + row_bytes;
    uint8_t *o = out + y * (row_bytes + 1);
    *o++ = 2;
    int i = 0;
    v128_t equal_groups = wasm_i32x4_splat(0);
    for (; i + 16 <= row_bytes; i += 16) {
      v128_t c = wasm_v128_load(cur + i);
      v128_t a = wasm_v128_load(above + i);
      wasm_v128_store(o + i, wasm_i8x16_sub(c, a));
      // Lanes are -1 where a 4-byte group is unchanged.
      equal_groups = wasm_i32x4_sub(equal_groups, wasm_i32x4_eq(c, a));
    }
    runs += (uint32_t)lanes_total(equal_groups);
    for (; i + 4 <= row_bytes; i += 4) {
      int same = 1;
      for (int k = 0; k < 4; k++) {
        o[i + k] = (uint8_t)(cur[i + k] - above[i + k]);
        same &= cur[i + k] == above[i + k];
      }
      runs += same;
    }
    for (; i < row_bytes; i++) o[i] = (uint8_t)(cur[i] - above[i]);
  }
  return runs;
}

/** Adler-32 of `len` bytes continued from `adler` (zlib's definition), 16 bytes per step. */
uint32_t adler32(uint32_t adler, const uint8_t *restrict p, uint32_t len) {
  uint32_t a = adler & 0xffff;
  uint32_t b = adler >> 16;
  const v128_t weights_high = wasm_i16x8_make(16, 15, 14, 13, 12, 11, 10, 9);
  const v128_t weights_low = wasm_i16x8_make(8, 7, 6, 5, 4, 3, 2, 1);
  while (len >= 16) {
    uint32_t n = len < ADLER_BLOCK_BYTES ? len & ~15u : ADLER_BLOCK_BYTES;
    len -= n;
    // Per lane: bytes so far (sums), the sums before each block (prefix), weighted bytes.
    v128_t sums = wasm_i32x4_splat(0);
    v128_t prefix = wasm_i32x4_splat(0);
    v128_t weighted = wasm_i32x4_splat(0);
    for (uint32_t i = 0; i < n; i += 16) {
      v128_t v = wasm_v128_load(p + i);
      prefix = wasm_i32x4_add(prefix, sums);
      v128_t first = wasm_u16x8_extend_low_u8x16(v);
      v128_t second = wasm_u16x8_extend_high_u8x16(v);
      weighted = wasm_i32x4_add(weighted, wasm_i32x4_dot_i16x8(first, weights_high));
      weighted = wasm_i32x4_add(weighted, wasm_i32x4_dot_i16x8(second, weights_low));
      sums = wasm_i32x4_add(sums, wasm_u32x4_extadd_pairwise_u16x8(
                                      wasm_u16x8_extadd_pairwise_u8x16(v)));
    }
    p += n;
    uint64_t sum = lanes_total(sums), pre = lanes_total(prefix), wsum = lanes_total(weighted);
    b = (uint32_t)(((uint64_t)b + (uint64_t)a * n + 16 * pre + wsum) % ADLER_MOD);
    a = (uint32_t)(((uint64_t)a + sum) % ADLER_MOD);
  }
  while (len--) {
    a += *p++;
    if (a >= ADLER_MOD) a -= ADLER_MOD;
    b += a;
    if (b >= ADLER_MOD) b -= ADLER_MOD;
  }
  return (b << 16) | a;
}

// ---------------------------------------------------------------------------------------------
// Deflate with Huffman coding alone (RFC 1951 dynamic blocks of literals, no matches): what zlib
// does with Z_HUFFMAN_ONLY, table-driven with a 64-bit bit buffer. On PNG-filtered upscaler
// output zlib spends about 5 ns a byte on it, this about 2.

#define LITERALS 257 // 0..255 and end of block (256)
#define MAX_CODE_BITS 15
#define MAX_LENGTH_CODE_BITS 7
#define END_OF_BLOCK 256

typedef struct {
  uint8_t *out;
  uint64_t bits;
  uint32_t count;
} BitWriter;

static inline void put_bits(BitWriter *w, uint32_t value, uint32_t n) {
  w->bits |= (uint64_t)value << w->count;
  w->count += n;
  if (w->count >= 32) {
    uint32_t low = (uint32_t)w->bits;
    __builtin_memcpy(w->out, &low, 4);
    w->out += 4;
    w->bits >>= 32;
    w->count -= 32;
  }
}

/** Pads to a byte boundary and writes out what is left. */
static inline void flush_bits(BitWriter *w) {
  while (w->count > 0) {
    *w->out++ = (uint8_t)w->bits;
    w->bits >>= 8;
    w->count = w->count > 8 ? w->count - 8 : 0;
  }
  w->bits = 0;
}

/**
 * Code lengths of at most `max_bits` for `n` symbols with frequencies `freq` (0: unused, length
 * 0). Optimal Huffman lengths by the two-queue method on symbols sorted by frequency, then
 * lengths past the limit folded back as miniz does (tdefl_huffman_enforce_max_code_size), the
 * longest codes going to the rarest symbols. At least two symbols get a code.
 */
static void code_lengths(const uint32_t *freq, int n, int max_bits, uint8_t *lengths) {
  int order[LITERALS];
  int used = 0;
  for (int s = 0; s < n; s++) {
    lengths[s] = 0;
    if (freq[s]) order[used++] = s;
  }
  // Zlib and the PKZIP format want two codes at least: add rare symbols as needed.
  for (int s = 0; used < 2 && s < n; s++) {
    if (!freq[s]) order[used++] = s;
  }
  // Insertion sort by frequency (at most 257 symbols, mostly in order already).
  for (int i = 1; i < used; i++) {
    int s = order[i];
    int j = i;
    while (j > 0 && freq[order[j - 1]] > freq[s]) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = s;
  }
  // Two-queue Huffman: leaves in order, internal nodes in creation order (also sorted).
  uint64_t weight[2 * LITERALS];
  int parent[2 * LITERALS];
  for (int i = 0; i < used; i++) weight[i] = freq[order[i]] ? freq[order[i]] : 1;
  int leaf = 0, node = used, next = used;
  for (int k = 0; k < used - 1; k++) {
    int pick[2];
    for (int t = 0; t < 2; t++) {
      if (leaf < used && (node >= next || weight[leaf] <= weight[node])) pick[t] = leaf++;
      else pick[t] = node++;
    }
    weight[next] = weight[pick[0]] + weight[pick[1]];
    parent[pick[0]] = next;
    parent[pick[1]] = next;
    next++;
  }
  int depth[2 * LITERALS];
  int count[64] = {0};
  depth[next - 1] = 0;
  for (int i = next - 2; i >= 0; i--) depth[i] = depth[parent[i]] + 1;
  for (int i = 0; i < used; i++) count[depth[i] < 63 ? depth[i] : 63]++;
  // Fold lengths past the limit back while keeping the code complete (Kraft sum exactly 1).
  for (int b = max_bits + 1; b < 64; b++) {
    count[max_bits] += count[b];
    count[b] = 0;
  }
  uint32_t total = 0;
  for (int b = max_bits; b > 0; b--) total += (uint32_t)count[b] << (max_bits - b);
  while (total != (1u << max_bits)) {
    count[max_bits]--;
    for (int b = max_bits - 1; b > 0; b--) {
      if (count[b]) {
        count[b]--;
        count[b + 1] += 2;
        break;
      }
    }
    total--;
  }
  // Rarest symbols (first in `order`) get the longest codes.
  int i = 0;
  for (int b = max_bits; b > 0; b--) {
    for (int c = count[b]; c > 0; c--) lengths[order[i++]] = (uint8_t)b;
  }
}

/** Canonical codes for `lengths`, bit-reversed for deflate's least-significant-first order. */
static void canonical_codes(const uint8_t *lengths, int n, uint16_t *codes) {
  int count[MAX_CODE_BITS + 1] = {0};
  int next_code[MAX_CODE_BITS + 1];
  for (int s = 0; s < n; s++) count[lengths[s]]++;
  count[0] = 0;
  int code = 0;
  for (int b = 1; b <= MAX_CODE_BITS; b++) {
    code = (code + count[b - 1]) << 1;
    next_code[b] = code;
  }
  for (int s = 0; s < n; s++) {
    int len = lengths[s];
    if (!len) {
      codes[s] = 0;
      continue;
    }
    int c = next_code[len]++;
    int reversed = 0;
    for (int b = 0; b < len; b++) reversed |= ((c >> b) & 1) << (len - 1 - b);
    codes[s] = (uint16_t)reversed;
  }
}

/** One dynamic block holding `n` literals: header, code tables, the literals, end of block. */
static void literal_block(BitWriter *w, const uint8_t *p, uint32_t n, int final) {
  uint32_t freq[LITERALS] = {0};
  // Four histograms side by side: consecutive equal bytes do not wait on one counter.
  uint32_t h[4][256] = {{0}};
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    h[0][p[i]]++;
    h[1][p[i + 1]]++;
    h[2][p[i + 2]]++;
    h[3][p[i + 3]]++;
  }
  for (; i < n; i++) h[0][p[i]]++;
  for (int s = 0; s < 256; s++) freq[s] = h[0][s] + h[1][s] + h[2][s] + h[3][s];
  freq[END_OF_BLOCK] = 1;
  uint8_t lengths[LITERALS];
  uint16_t codes[LITERALS];
  code_lengths(freq, LITERALS, MAX_CODE_BITS, lengths);
  canonical_codes(lengths, LITERALS, codes);

  // Code lengths of the literal alphabet then of two 1-bit distance codes (as zlib writes
  // them for a block without matches), sent literally with the code-length alphabet (no runs:
  // a few bytes per block).
  uint8_t sequence[LITERALS + 2];
  for (int s = 0; s < LITERALS; s++) sequence[s] = lengths[s];
  sequence[LITERALS] = 1;
  sequence[LITERALS + 1] = 1;
  uint32_t length_freq[19] = {0};
  for (int k = 0; k < LITERALS + 2; k++) length_freq[sequence[k]]++;
  uint8_t length_lengths[19];
  uint16_t length_codes[19];
  code_lengths(length_freq, 19, MAX_LENGTH_CODE_BITS, length_lengths);
  canonical_codes(length_lengths, 19, length_codes);
  static const uint8_t length_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
                                           11, 4, 12, 3, 13, 2, 14, 1, 15};
  int hclen = 19;
  while (hclen > 4 && length_lengths[length_order[hclen - 1]] == 0) hclen--;

  put_bits(w, final ? 1 : 0, 1);
  put_bits(w, 2, 2);                 // dynamic Huffman codes
  put_bits(w, LITERALS - 257, 5);    // HLIT
  put_bits(w, 2 - 1, 5);             // HDIST
  put_bits(w, (uint32_t)(hclen - 4), 4);
  for (int k = 0; k < hclen; k++) put_bits(w, length_lengths[length_order[k]], 3);
  for (int k = 0; k < LITERALS + 2; k++) {
    put_bits(w, length_codes[sequence[k]], length_lengths[sequence[k]]);
  }

  // Codes and lengths in one word per byte value: one load per literal.
  uint32_t table[256];
  for (int s = 0; s < 256; s++) table[s] = (uint32_t)codes[s] | ((uint32_t)lengths[s] << 16);
  uint64_t bits = w->bits;
  uint32_t count = w->count;
  uint8_t *out = w->out;
  for (i = 0; i + 2 <= n; i += 2) {
    // Two literals of at most 15 bits each fit with fewer than 32 bits pending.
    uint32_t a = table[p[i]];
    uint32_t b = table[p[i + 1]];
    bits |= (uint64_t)(a & 0xffff) << count;
    count += a >> 16;
    bits |= (uint64_t)(b & 0xffff) << count;
    count += b >> 16;
    if (count >= 32) {
      uint32_t low = (uint32_t)bits;
      __builtin_memcpy(out, &low, 4);
      out += 4;
      bits >>= 32;
      count -= 32;
    }
  }
  w->bits = bits;
  w->count = count;
  w->out = out;
  for (; i < n; i++) put_bits(w, codes[p[i]], lengths[p[i]]);
  put_bits(w, codes[END_OF_BLOCK], lengths[END_OF_BLOCK]);
}

/** Literals per block: each block's codes fit its own bytes (zlib: 16 K symbols at level 1). */
#define BLOCK_LITERALS 65536u

/**
 * Raw deflate of `n` bytes at `p` into `out` with Huffman coding alone, as zlib's deflateRaw
 * with Z_HUFFMAN_ONLY and its flush: `final` ends the stream (last block marked, padded to a
 * byte); otherwise the output ends with an empty stored block (a sync flush), byte-aligned and
 * not final, so strips compressed apart concatenate into one stream. `out` needs
 * huffman_bound(n) bytes. Returns the bytes written.
 */
uint32_t deflate_huffman(const uint8_t *restrict p, uint32_t n, uint8_t *restrict out,
                         int final) {
  BitWriter w = {out, 0, 0};
  uint32_t done = 0;
  do {
    uint32_t size = n - done < BLOCK_LITERALS ? n - done : BLOCK_LITERALS;
    literal_block(&w, p + done, size, final && done + size == n);
    done += size;
  } while (done < n);
  if (!final) {
    put_bits(&w, 0, 3); // stored block, not final
    flush_bits(&w);
    *w.out++ = 0x00;
    *w.out++ = 0x00;
    *w.out++ = 0xff;
    *w.out++ = 0xff;
  } else {
    flush_bits(&w);
  }
  return (uint32_t)(w.out - out);
}

/** Most bytes deflate_huffman writes for n bytes: 15 bits a byte plus headers and flush. */
uint32_t huffman_bound(uint32_t n) {
  return 2 * n + (n / BLOCK_LITERALS + 1) * 320 + 16;
}
