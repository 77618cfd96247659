/**
 * A ZIP archive written as it goes, one file after another, for exports too large to hold in
 * memory: each file is DEFLATE-compressed (fflate's streaming `Deflate`) as its text is written,
 * with its CRC-32 and sizes in a data descriptor after it, and the central directory at the end.
 *
 * ZIP64 is used where the classic format's 32-bit fields cannot hold a size or an offset (a CSV
 * file or an archive past 4 GiB, as the national history table can be), and only there, so a
 * small archive is the classic format every tool reads. fflate's own `Zip` cannot write ZIP64.
 *
 * The writer is synchronous and pull-friendly: whatever it produces goes to `out`, and the caller
 * decides when to write more (an async generator yields after each batch, so the reader of the
 * stream sets the pace).
 */
import zlib from 'node:zlib';
import { Deflate } from 'fflate';

const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const PIECE = 64 * 1024;

/** CRC-32 (as ZIP uses it): Node's own where it has one (20.15 and later), else a table. */
const crc32: (data: Uint8Array, value: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (data, value) => (zlib as unknown as { crc32: (d: Uint8Array, v: number) => number }).crc32(data, value)
    : (() => {
        const table = new Int32Array(256);
        for (let n = 0; n < 256; n++) {
          let c = n;
          for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
          table[n] = c;
        }
        return (data: Uint8Array, value: number) => {
          let c = ~value;
          for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
          return ~c >>> 0;
        };
      })();

interface Entry {
  name: Uint8Array;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

/** Little-endian fields into a buffer, in order. */
class Fields {
  private readonly parts: { bytes: 2 | 4 | 8; value: number }[] = [];
  u16(v: number) {
    this.parts.push({ bytes: 2, value: v });
    return this;
  }
  u32(v: number) {
    this.parts.push({ bytes: 4, value: v });
    return this;
  }
  u64(v: number) {
    this.parts.push({ bytes: 8, value: v });
    return this;
  }
  toBuffer(...tail: Uint8Array[]): Buffer {
    const length = this.parts.reduce((n, p) => n + p.bytes, 0) + tail.reduce((n, t) => n + t.length, 0);
    const b = Buffer.alloc(length);
    let o = 0;
    for (const p of this.parts) {
      if (p.bytes === 2) b.writeUInt16LE(p.value, o);
      else if (p.bytes === 4) b.writeUInt32LE(p.value >>> 0, o);
      else b.writeBigUInt64LE(BigInt(p.value), o);
      o += p.bytes;
    }
    for (const t of tail) {
      b.set(t, o);
      o += t.length;
    }
    return b;
  }
}

export interface ZipWriterOptions {
  /** DEFLATE level, 0–9 (default 6). */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /** The modification time written for every file (default: now). */
  mtime?: Date;
  /** Write the ZIP64 records even when the sizes would fit (for tests of that format). */
  forceZip64?: boolean;
}

export class ZipWriter {
  private offset = 0;
  private readonly entries: Entry[] = [];
  private current: { entry: Entry; deflate: Deflate } | null = null;
  private ended = false;
  private readonly time: number;
  private readonly date: number;

  constructor(
    private readonly out: (chunk: Uint8Array) => void,
    private readonly opts: ZipWriterOptions = {},
  ) {
    // MS-DOS date and time, in local time (as other ZIP tools write them).
    const t = opts.mtime ?? new Date();
    this.time = (t.getHours() << 11) | (t.getMinutes() << 5) | (t.getSeconds() >> 1);
    this.date = (Math.max(0, t.getFullYear() - 1980) << 9) | ((t.getMonth() + 1) << 5) | t.getDate();
  }

  private emit(chunk: Uint8Array) {
    if (chunk.length === 0) return;
    this.offset += chunk.length;
    this.out(chunk);
  }

  /** Start the next file (the one before is finished first). */
  startFile(name: string): void {
    if (this.ended) throw new Error('the archive is already finished');
    if (this.current) this.endFile();
    const entry: Entry = { name: Buffer.from(name, 'utf8'), crc: 0, compressed: 0, size: 0, offset: this.offset };
    // Local header: sizes and CRC follow the data (flag bit 3); names are UTF-8 (bit 11).
    this.emit(
      new Fields()
        .u32(0x04034b50)
        .u16(this.opts.forceZip64 ? 45 : 20)
        .u16(0x0808)
        .u16(8)
        .u16(this.time)
        .u16(this.date)
        .u32(0)
        .u32(0)
        .u32(0)
        .u16(entry.name.length)
        .u16(0)
        .toBuffer(entry.name),
    );
    const deflate = new Deflate({ level: this.opts.level ?? 6 }, (data) => {
      entry.compressed += data.length;
      this.emit(data);
    });
    this.current = { entry, deflate };
  }

  /** Add to the current file. */
  write(data: Uint8Array | string): void {
    if (!this.current) throw new Error('no file has been started');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length === 0) return;
    const e = this.current.entry;
    e.crc = crc32(bytes, e.crc);
    e.size += bytes.length;
    // In pieces: fflate's Deflate grows its window buffer to the size of a chunk pushed at once.
    for (let i = 0; i < bytes.length; i += PIECE) this.current.deflate.push(bytes.subarray(i, i + PIECE));
  }

  /** Finish the current file: the rest of its compressed data, then its data descriptor. */
  endFile(): void {
    if (!this.current) return;
    const { entry, deflate } = this.current;
    this.current = null;
    deflate.push(new Uint8Array(0), true);
    const big = this.opts.forceZip64 || entry.size >= MAX32 || entry.compressed >= MAX32;
    const d = new Fields().u32(0x08074b50).u32(entry.crc);
    this.emit((big ? d.u64(entry.compressed).u64(entry.size) : d.u32(entry.compressed).u32(entry.size)).toBuffer());
    this.entries.push(entry);
  }

  /** Finish the archive: the central directory and its end records. */
  end(): void {
    if (this.ended) return;
    this.endFile();
    this.ended = true;
    const start = this.offset;
    for (const e of this.entries) {
      const z64 = this.opts.forceZip64;
      const sizeBig = z64 || e.size >= MAX32;
      const compBig = z64 || e.compressed >= MAX32;
      const offBig = z64 || e.offset >= MAX32;
      const extra = new Fields();
      const extraValues = [sizeBig ? e.size : null, compBig ? e.compressed : null, offBig ? e.offset : null].filter((v): v is number => v !== null);
      let extraBytes: Uint8Array = new Uint8Array(0);
      if (extraValues.length) {
        extra.u16(0x0001).u16(extraValues.length * 8);
        for (const v of extraValues) extra.u64(v);
        extraBytes = extra.toBuffer();
      }
      const needs = extraValues.length ? 45 : 20;
      this.emit(
        new Fields()
          .u32(0x02014b50)
          .u16(needs)
          .u16(needs)
          .u16(0x0808)
          .u16(8)
          .u16(this.time)
          .u16(this.date)
          .u32(e.crc)
          .u32(compBig ? MAX32 : e.compressed)
          .u32(sizeBig ? MAX32 : e.size)
          .u16(e.name.length)
          .u16(extraBytes.length)
          .u16(0)
          .u16(0)
          .u16(0)
          .u32(0)
          .u32(offBig ? MAX32 : e.offset)
          .toBuffer(e.name, extraBytes),
      );
    }
    const size = this.offset - start;
    const count = this.entries.length;
    if (this.opts.forceZip64 || count >= MAX16 || size >= MAX32 || start >= MAX32) {
      const at = this.offset;
      this.emit(new Fields().u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(count).u64(count).u64(size).u64(start).toBuffer());
      this.emit(new Fields().u32(0x07064b50).u32(0).u64(at).u32(1).toBuffer());
      this.emit(new Fields().u32(0x06054b50).u16(0).u16(0).u16(MAX16).u16(MAX16).u32(MAX32).u32(MAX32).u16(0).toBuffer());
    } else {
      this.emit(new Fields().u32(0x06054b50).u16(0).u16(0).u16(count).u16(count).u32(size).u32(start).u16(0).toBuffer());
    }
  }
}
