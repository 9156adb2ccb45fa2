import { crc32, deflateRawSync } from "node:zlib";

export interface ZipInput {
  name: string;
  data: Uint8Array;
}

export interface ZipWriterOptions {
  alignment?: number;
  /** Deflate the entries (torch.save stores them; other tools may not). */
  deflate?: boolean;
  /**
   * "record": add the zip64 end record and locator (as miniz does with its zip64 flag);
   * "saturate": also set the 32-bit fields to 0xffffffff and carry sizes/offsets in zip64
   * extra fields, as for archives above 4 GB.
   */
  zip64?: "record" | "saturate";
}

/**
 * Writes a stored (uncompressed) zip the way PyTorch's writer does: each entry's data aligned
 * to 64 bytes with a padding extra field in the local header, central directory at the end.
 */
export function writeZip(files: ZipInput[], options: ZipWriterOptions = {}): Uint8Array {
  const alignment = options.alignment ?? 64;
  const saturate = options.zip64 === "saturate";
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const file of files) {
    const name = new TextEncoder().encode(file.name);
    const crc = crc32(file.data);
    const stored = options.deflate ? new Uint8Array(deflateRawSync(file.data)) : file.data;
    const headerEnd = offset + 30 + name.byteLength + 4;
    const padding = (alignment - (headerEnd % alignment)) % alignment;
    const local = new Uint8Array(30 + name.byteLength + 4 + padding);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, options.deflate ? 8 : 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, stored.byteLength, true);
    lv.setUint32(22, file.data.byteLength, true);
    lv.setUint16(26, name.byteLength, true);
    lv.setUint16(28, 4 + padding, true);
    local.set(name, 30);
    lv.setUint16(30 + name.byteLength, 0x4246, true);
    lv.setUint16(32 + name.byteLength, padding, true);

    const extra = saturate ? 4 + 24 : 0;
    const entry = new Uint8Array(46 + name.byteLength + extra);
    const cv = new DataView(entry.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 45, true);
    cv.setUint16(6, 45, true);
    cv.setUint16(10, options.deflate ? 8 : 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, saturate ? 0xffffffff : stored.byteLength, true);
    cv.setUint32(24, saturate ? 0xffffffff : file.data.byteLength, true);
    cv.setUint16(28, name.byteLength, true);
    cv.setUint16(30, extra, true);
    cv.setUint32(42, saturate ? 0xffffffff : offset, true);
    entry.set(name, 46);
    if (saturate) {
      const at = 46 + name.byteLength;
      cv.setUint16(at, 0x0001, true);
      cv.setUint16(at + 2, 24, true);
      cv.setBigUint64(at + 4, BigInt(file.data.byteLength), true);
      cv.setBigUint64(at + 12, BigInt(stored.byteLength), true);
      cv.setBigUint64(at + 20, BigInt(offset), true);
    }
    central.push(entry);

    parts.push(local, stored);
    offset += local.byteLength + stored.byteLength;
  }
  const directorySize = central.reduce((sum, c) => sum + c.byteLength, 0);
  const tail: Uint8Array[] = [];
  if (options.zip64) {
    const record = new Uint8Array(56);
    const rv = new DataView(record.buffer);
    rv.setUint32(0, 0x06064b50, true);
    rv.setBigUint64(4, 44n, true);
    rv.setUint16(12, 45, true);
    rv.setUint16(14, 45, true);
    rv.setBigUint64(24, BigInt(files.length), true);
    rv.setBigUint64(32, BigInt(files.length), true);
    rv.setBigUint64(40, BigInt(directorySize), true);
    rv.setBigUint64(48, BigInt(offset), true);
    const locator = new Uint8Array(20);
    const lv = new DataView(locator.buffer);
    lv.setUint32(0, 0x07064b50, true);
    lv.setBigUint64(8, BigInt(offset + directorySize), true);
    lv.setUint32(16, 1, true);
    tail.push(record, locator);
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, saturate ? 0xffff : files.length, true);
  ev.setUint16(10, saturate ? 0xffff : files.length, true);
  ev.setUint32(12, saturate ? 0xffffffff : directorySize, true);
  ev.setUint32(16, saturate ? 0xffffffff : offset, true);
  const all = [...parts, ...central, ...tail, end];
  const out = new Uint8Array(all.reduce((sum, p) => sum + p.byteLength, 0));
  let at = 0;
  for (const part of all) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
