import { ImageError } from "./errors";
import type { RawImage } from "./types";

export interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  topDown: boolean;
  compression: number;
  dataOffset: number;
  paletteOffset: number;
  paletteSize: number;
}

// libvips in sharp's prebuilt binaries has no BMP loader, so uncompressed BMPs are read here.
export function readBmpHeader(bytes: Uint8Array): BmpHeader {
  if (bytes.length < 54) throw new ImageError("corrupt", "BMP header is truncated");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (headerSize < 40)
    throw new ImageError("unsupported_format", "OS/2 BMP headers are not supported");
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bitsPerPixel = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  const colorsUsed = view.getUint32(46, true);
  if (width <= 0 || rawHeight === 0) throw new ImageError("corrupt", "BMP has an invalid size");
  if (![8, 24, 32].includes(bitsPerPixel) || (compression !== 0 && compression !== 3)) {
    throw new ImageError(
      "unsupported_format",
      `BMP with ${bitsPerPixel} bits per pixel and compression ${compression} is not supported; accepted: uncompressed 8, 24 or 32-bit BMP`,
    );
  }
  return {
    width,
    height: Math.abs(rawHeight),
    bitsPerPixel,
    topDown: rawHeight < 0,
    compression,
    dataOffset,
    paletteOffset: 14 + headerSize,
    paletteSize: bitsPerPixel === 8 ? colorsUsed || 256 : 0,
  };
}

export function decodeBmp(bytes: Uint8Array, h: BmpHeader): RawImage {
  const bpp = h.bitsPerPixel / 8;
  const stride = Math.ceil((h.width * h.bitsPerPixel) / 32) * 4;
  if (h.dataOffset + stride * h.height > bytes.length) {
    throw new ImageError("corrupt", "BMP pixel data is truncated");
  }
  // 32-bit BI_RGB has no alpha by spec; BI_BITFIELDS with an alpha mask in a V4+ header does.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hasAlpha =
    h.bitsPerPixel === 32 && h.compression === 3 && h.paletteOffset >= 14 + 56
      ? view.getUint32(54 + 12, true) !== 0
      : false;
  const channels = hasAlpha ? 4 : 3;
  const out = new Uint8Array(h.width * h.height * channels);
  for (let row = 0; row < h.height; row++) {
    const y = h.topDown ? row : h.height - 1 - row;
    let src = h.dataOffset + row * stride;
    let dst = y * h.width * channels;
    for (let x = 0; x < h.width; x++, src += bpp, dst += channels) {
      if (bpp === 1) {
        const p = h.paletteOffset + (bytes[src] ?? 0) * 4;
        out[dst] = bytes[p + 2] ?? 0;
        out[dst + 1] = bytes[p + 1] ?? 0;
        out[dst + 2] = bytes[p] ?? 0;
      } else {
        out[dst] = bytes[src + 2] ?? 0;
        out[dst + 1] = bytes[src + 1] ?? 0;
        out[dst + 2] = bytes[src] ?? 0;
        if (hasAlpha) out[dst + 3] = bytes[src + 3] ?? 0;
      }
    }
  }
  return { width: h.width, height: h.height, channels, depth: 8, data: out };
}
