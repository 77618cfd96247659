/** Reading Word and PDF documents back in tests: a small zip reader and pdfjs text extraction. */
import zlib from 'node:zlib';

/** One file from a zip archive (stored or deflated), found through the central directory. */
export function unzipEntry(zip: Buffer, name: string): Buffer {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory');
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const entry = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    if (entry === name) {
      const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(dataStart, dataStart + size);
      return method === 0 ? Buffer.from(data) : zlib.inflateRawSync(data);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`${name} is not in the archive`);
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeXml = (s: string) => s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) => (e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : XML_ENTITIES[e]));

/** The text of a .docx: one line per paragraph, line breaks kept. */
export function docxText(docx: Buffer): { text: string; xml: string } {
  const xml = unzipEntry(docx, 'word/document.xml').toString('utf8');
  const paragraphs = xml.match(/<w:p[ >][\s\S]*?<\/w:p>/g) ?? [];
  const text = paragraphs
    .map((p) =>
      (p.match(/<w:t(?:\s[^>]*)?>[\s\S]*?<\/w:t>|<w:br\/>|<w:tab\/>/g) ?? [])
        .map((r) => (r === '<w:br/>' ? '\n' : r === '<w:tab/>' ? '\t' : decodeXml(r.replace(/^<w:t[^>]*>/, '').replace(/<\/w:t>$/, ''))))
        .join(''),
    )
    .join('\n');
  return { text, xml };
}

/** The text of a PDF, page by page in content order, and the size of every piece of text. */
export async function pdfText(pdf: Buffer): Promise<{ text: string; pages: number; fontSizes: number[] }> {
  const pdfjs: any = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(pdf), isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0 }).promise;
  let text = '';
  const fontSizes: number[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const content = await page.getTextContent();
    for (const item of content.items as any[]) {
      if (typeof item.str !== 'string') continue;
      text += item.str + (item.hasEOL ? '\n' : '');
      if (item.str.trim()) fontSizes.push(Math.abs(item.transform[3]));
    }
    text += '\n';
  }
  const pages = doc.numPages;
  await doc.destroy();
  return { text, pages, fontSizes };
}

/** The words of a text, for comparing documents whose line breaks and bullets differ. */
export function words(s: string): string[] {
  return s.match(/[\p{L}\p{N}£]+(?:['’.][\p{L}\p{N}]+)*/gu) ?? [];
}

/** Whether `needle` occurs in `hay` as a contiguous run of words. */
export function containsRun(hay: string[], needle: string[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
