/**
 * One place for the fonts every PDF (letters, the MRC pack, the annual report) is drawn in: a font
 * with the characters of residents' names (accents, Polish, Welsh…) where the system has one, or
 * null, in which case a document falls back to PDFKit's standard Helvetica.
 */
import fs from 'node:fs';

export interface PdfFonts {
  regular: Buffer;
  bold: Buffer;
  italic: Buffer;
}

/** Regular, bold and italic, in order of preference. */
const FONT_CANDIDATES = [
  ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf', '/usr/share/fonts/truetype/liberation/LiberationSans-Italic.ttf'],
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf'],
];

let fontCache: PdfFonts | null | undefined;
let fontCandidates = FONT_CANDIDATES;

/** Which fonts to try (tests use it to check the standard-font fallback); null restores the default. */
export function usePdfFonts(candidates: string[][] | null): void {
  fontCandidates = candidates ?? FONT_CANDIDATES;
  fontCache = undefined;
}

/** The first complete set of fonts found, read once; null when none is installed. */
export function pdfFonts(): PdfFonts | null {
  if (fontCache !== undefined) return fontCache;
  fontCache = null;
  for (const [regular, bold, italic] of fontCandidates) {
    try {
      const r = fs.readFileSync(regular);
      const b = fs.readFileSync(bold);
      let i = r;
      try {
        if (italic) i = fs.readFileSync(italic);
      } catch {
        /* upright text stands in for italic */
      }
      fontCache = { regular: r, bold: b, italic: i };
      break;
    } catch {
      /* try the next */
    }
  }
  return fontCache;
}

/**
 * Prepare a new document: register 'body', 'bold' and 'italic' (the system fonts above, or
 * Helvetica's), and collect its bytes. `embedded` says whether the system fonts are in use (if
 * not, callers simplify text to what Helvetica can draw); `output` resolves when `doc.end()` has
 * flushed the whole file.
 */
export function setUpPdf(doc: PDFKit.PDFDocument): { embedded: boolean; output: Promise<Buffer> } {
  const f = pdfFonts();
  doc.registerFont('body', f ? f.regular : 'Helvetica');
  doc.registerFont('bold', f ? f.bold : 'Helvetica-Bold');
  doc.registerFont('italic', f ? f.italic : 'Helvetica-Oblique');
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const output = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { embedded: !!f, output };
}
