import { createReadStream } from "node:fs";
import { crc32 } from "node:zlib";

export interface ZipSource {
  /** Name inside the archive (forward slashes, no leading slash). */
  name: string;
  /** Absolute path of the file to add. */
  path: string;
}

function dosDateTime(date: Date) {
  const time =
    (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2);
  const day = ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  return { time, day };
}

/**
 * A zip of stored (uncompressed) entries, produced as a stream: results are PNGs, which do not
 * compress further, and storing keeps memory flat however many files there are. Sizes and
 * CRCs follow each entry in a data descriptor, so nothing is read twice. No zip64: each file
 * and the whole archive must stay under 4 GiB.
 */
export function zipStream(sources: ZipSource[], now = new Date()): ReadableStream<Uint8Array> {
  const { time, day } = dosDateTime(now);
  const central: Buffer[] = [];
  let offset = 0;
  let index = 0;

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const source = sources[index++];
      if (!source) {
        const directory = Buffer.concat(central);
        const end = Buffer.alloc(22);
        end.writeUInt32LE(0x06054b50, 0);
        end.writeUInt16LE(sources.length, 8);
        end.writeUInt16LE(sources.length, 10);
        end.writeUInt32LE(directory.length, 12);
        end.writeUInt32LE(offset, 16);
        controller.enqueue(directory);
        controller.enqueue(end);
        controller.close();
        return;
      }
      const name = Buffer.from(source.name, "utf8");
      const header = Buffer.alloc(30);
      header.writeUInt32LE(0x04034b50, 0);
      header.writeUInt16LE(20, 4); // version needed
      header.writeUInt16LE(0x0808, 6); // data descriptor + UTF-8 names
      header.writeUInt16LE(0, 8); // stored
      header.writeUInt16LE(time, 10);
      header.writeUInt16LE(day, 12);
      header.writeUInt16LE(name.length, 26);
      controller.enqueue(header);
      controller.enqueue(name);
      const localOffset = offset;
      offset += header.length + name.length;

      let crc = 0;
      let size = 0;
      for await (const chunk of createReadStream(source.path)) {
        const bytes = chunk as Buffer;
        crc = crc32(bytes, crc);
        size += bytes.length;
        controller.enqueue(bytes);
      }
      offset += size;
      const descriptor = Buffer.alloc(16);
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc >>> 0, 4);
      descriptor.writeUInt32LE(size, 8);
      descriptor.writeUInt32LE(size, 12);
      controller.enqueue(descriptor);
      offset += descriptor.length;

      const entry = Buffer.alloc(46);
      entry.writeUInt32LE(0x02014b50, 0);
      entry.writeUInt16LE(20, 4);
      entry.writeUInt16LE(20, 6);
      entry.writeUInt16LE(0x0808, 8);
      entry.writeUInt16LE(0, 10);
      entry.writeUInt16LE(time, 12);
      entry.writeUInt16LE(day, 14);
      entry.writeUInt32LE(crc >>> 0, 16);
      entry.writeUInt32LE(size, 20);
      entry.writeUInt32LE(size, 24);
      entry.writeUInt16LE(name.length, 28);
      entry.writeUInt32LE(localOffset, 42);
      central.push(entry, name);
    },
  });
}
