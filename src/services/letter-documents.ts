/**
 * A sent letter as a Word document (.docx) and a PDF, for post: the same words as the email,
 * on the landlord's letterhead (name, address, date, reference), with clear headings. Large
 * print makes every piece of text 16 pt or more.
 */
import zlib from 'node:zlib';
import {
  AlignmentType,
  BorderStyle,
  Document,
  Footer,
  ImageRun,
  LevelFormat,
  Packer,
  PageNumber,
  Paragraph,
  TextRun,
} from 'docx';
import PDFDocument from 'pdfkit';
import { tableCards, type Block, type Letterhead } from '../core/letters.js';
import { setUpPdf, usePdfFonts } from './pdf-fonts.js';

export interface LetterDocumentInput {
  subject: string;
  blocks: Block[];
  letterhead: Letterhead;
  largePrint: boolean;
}

const colourOf = (lh: Letterhead) => (/^#[0-9a-fA-F]{6}$/.test(lh.colour) ? lh.colour : '#1d5c4d');
const addressLines = (a: string) => a.split(/\s*(?:\n|,)\s*/).map((l) => l.trim()).filter(Boolean);

/** A PNG's or JPEG's size in pixels, read from its header; null when it is neither. */
export function imageSize(data: Buffer): { width: number; height: number; type: 'png' | 'jpg' } | null {
  if (data.length > 24 && data.readUInt32BE(0) === 0x89504e47) return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), type: 'png' };
  if (data.length > 4 && data[0] === 0xff && data[1] === 0xd8) {
    let i = 2;
    while (i + 9 < data.length) {
      if (data[i] !== 0xff) return null;
      const marker = data[i + 1];
      const len = data.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return { height: data.readUInt16BE(i + 5), width: data.readUInt16BE(i + 7), type: 'jpg' };
      i += 2 + len;
    }
  }
  return null;
}

/**
 * Whether an image can be drawn: its size reads and, for a PNG, its compressed pixels inflate
 * (pdfkit inflates them asynchronously, where a failure could not be caught).
 */
export function imageReadable(data: Buffer): boolean {
  const size = imageSize(data);
  if (!size || !size.width || !size.height || size.width > 10_000 || size.height > 10_000) return false;
  if (size.type === 'jpg') return true;
  try {
    const idat: Buffer[] = [];
    let i = 8;
    while (i + 8 <= data.length) {
      const len = data.readUInt32BE(i);
      const type = data.toString('latin1', i + 4, i + 8);
      if (i + 12 + len > data.length) return false;
      if (type === 'IDAT') idat.push(data.subarray(i + 8, i + 8 + len));
      if (type === 'IEND') break;
      i += 12 + len;
    }
    if (!idat.length) return false;
    zlib.inflateSync(Buffer.concat(idat));
    return true;
  } catch {
    return false;
  }
}

/** The logo scaled to fit a box, keeping its proportions (none when it cannot be drawn). */
function logoFit(lh: Letterhead, maxW: number, maxH: number): { data: Buffer; width: number; height: number; type: 'png' | 'jpg' } | null {
  if (!lh.logo) return null;
  const data = Buffer.from(lh.logo.data, 'base64');
  const size = imageSize(data);
  if (!size || !imageReadable(data)) return null;
  const k = Math.min(maxW / size.width, maxH / size.height);
  return { data, width: Math.round(size.width * k), height: Math.round(size.height * k), type: size.type };
}

export function footerText(lh: Letterhead): string {
  return `${lh.landlordName} · Our reference ${lh.reference}`;
}

// ---------------------------------------------------------------------------------------------
// PDF
// ---------------------------------------------------------------------------------------------

/** Which fonts to try (tests use it to check the standard-font fallback); null restores the default. */
export const useLetterFonts = usePdfFonts;

/** Helvetica (the fallback) has only Windows-1252 characters: replace the rest rather than print nothing. */
const NO_DECOMPOSITION: Record<string, string> = { Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', Ħ: 'H', ħ: 'h', Ŀ: 'L', ŀ: 'l', Œ: 'OE', œ: 'oe', ẞ: 'SS', ı: 'i' };
function forStandardFont(s: string): string {
  return s
    .normalize('NFC')
    .replace(/[^\u0000-\u00ff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac]/g, (c) => NO_DECOMPOSITION[c] ?? c.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^\u0000-\u00ff]/g, '?'));
}

export function letterPdf(input: LetterDocumentInput): Promise<Buffer> {
  const { letterhead: lh, largePrint } = input;
  const size = largePrint ? 16 : 11;
  const small = largePrint ? 16 : 9;
  const colour = colourOf(lh);
  const margin = 62;
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 50, bottom: 70, left: margin, right: margin },
    bufferPages: true,
    lang: 'en-GB',
    displayTitle: true,
    info: { Title: input.subject, Author: lh.landlordName, Subject: `Our reference ${lh.reference}` },
  } as any);
  const { embedded, output: done } = setUpPdf(doc);
  const T = embedded ? (s: string) => s : forStandardFont;

  const width = doc.page.width - margin * 2;
  const grey = '#505a5f';
  const ink = '#0b0c0c';

  // Letterhead: the landlord's name in its colour, its address and contact details, a rule.
  const logo = logoFit(lh, 180, 56);
  if (logo) {
    doc.image(logo.data, margin, doc.y, { width: logo.width, height: logo.height });
    doc.y += logo.height + 10;
  }
  const top = doc.y;
  doc.font('bold').fontSize(largePrint ? 24 : 20).fillColor(colour).text(T(lh.landlordName), margin, top, { width: largePrint ? width : width * 0.55 });
  const contact = [...addressLines(lh.landlordAddress), lh.landlordPhone, lh.landlordEmail].filter(Boolean).map(T);
  if (largePrint) {
    doc.moveDown(0.3).font('body').fontSize(small).fillColor(grey).text(contact.join('\n'), { width });
  } else {
    const nameBottom = doc.y;
    doc.font('body').fontSize(small).fillColor(grey).text(contact.join('\n'), margin + width * 0.55, top + 2, { width: width * 0.45, align: 'right' });
    doc.y = Math.max(doc.y, nameBottom);
  }
  doc.moveDown(0.6);
  doc.moveTo(margin, doc.y).lineTo(margin + width, doc.y).lineWidth(2).strokeColor(colour).stroke();
  doc.moveDown(1.2);

  // The recipient on the left (window-envelope position); the date and reference on the right.
  const blockTop = doc.y;
  doc.font('body').fontSize(size).fillColor(ink).text(lh.recipient.map(T).join('\n'), margin, blockTop, { width: largePrint ? width : width * 0.6 });
  if (largePrint) {
    doc.moveDown(0.8).text(T(lh.date)).text(`Our reference: ${lh.reference}`);
  } else {
    const leftBottom = doc.y;
    doc.text(T(lh.date), margin + width * 0.6, blockTop, { width: width * 0.4, align: 'right' });
    doc.text(`Our reference: ${lh.reference}`, { width: width * 0.4, align: 'right' });
    doc.y = Math.max(doc.y, leftBottom);
  }
  doc.x = margin;
  doc.moveDown(1.5);

  // The subject as the letter's heading, then the body.
  doc.font('bold').fontSize(size + 3).fillColor(ink).text(T(input.subject), margin, doc.y, { width });
  doc.moveDown(0.8);
  const para = { width, lineGap: largePrint ? 3 : 2 };
  for (const b of input.blocks) {
    switch (b.type) {
      case 'heading':
        if (doc.y > doc.page.height - doc.page.margins.bottom - size * 5) doc.addPage();
        doc.moveDown(0.4).font('bold').fontSize(size + 2).fillColor(colour).text(T(b.text), margin, doc.y, para);
        doc.moveDown(0.3);
        break;
      case 'paragraph':
        doc.font('body').fontSize(size).fillColor(ink).text(b.lines.map(T).join('\n'), margin, doc.y, para);
        doc.moveDown(0.7);
        break;
      case 'list':
        for (const item of b.items) {
          const y = doc.y;
          doc.font('body').fontSize(size).fillColor(ink).text('•', margin + 4, y, { width: 14 });
          doc.text(T(item), margin + 20, y, { ...para, width: width - 20 });
          doc.moveDown(0.3);
        }
        doc.x = margin;
        doc.moveDown(0.4);
        break;
      case 'table':
        for (const card of tableCards(b)) {
          // Keep a card on one page when it fits on one.
          doc.font('bold').fontSize(size);
          const height = card.reduce((n, [h, v]) => n + doc.heightOfString(`${T(h)}: ${T(v)}`, { ...para, width: width - 12 }), 0);
          const bottom = doc.page.height - doc.page.margins.bottom;
          if (doc.y + height > bottom && height < bottom - doc.page.margins.top) doc.addPage();
          const startPage = (doc as any).bufferedPageRange().count;
          const y0 = doc.y;
          card.forEach(([h, v], i) => {
            doc.font('bold').fontSize(size).fillColor(ink).text(`${T(h)}: `, margin + 12, i === 0 ? y0 : doc.y, { ...para, width: width - 12, continued: true });
            doc.font('body').text(T(v), { ...para, width: width - 12 });
          });
          if ((doc as any).bufferedPageRange().count === startPage) {
            doc.moveTo(margin + 2, y0).lineTo(margin + 2, doc.y - 2).lineWidth(3).strokeColor(colour).stroke();
          }
          doc.x = margin;
          doc.moveDown(0.8);
        }
        break;
    }
  }

  // Footer on every page: who, which case, page n of m.
  const range = (doc as any).bufferedPageRange();
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('body').fontSize(largePrint ? 16 : 8.5).fillColor(grey);
    const page = ` · Page ${i + 1} of ${range.count}`;
    let footer = `${T(footerText(lh))}${page}`;
    if (doc.widthOfString(footer) > width) footer = `Our reference ${lh.reference}${page}`;
    doc.text(footer, margin, doc.page.height - (largePrint ? 48 : 40), { width, align: 'center', lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}

// ---------------------------------------------------------------------------------------------
// Word
// ---------------------------------------------------------------------------------------------

export function letterDocx(input: LetterDocumentInput): Promise<Buffer> {
  const { letterhead: lh, largePrint } = input;
  const pt = (n: number) => n * 2; // docx sizes are in half-points
  const size = largePrint ? 16 : 11;
  const small = largePrint ? 16 : 9;
  const colour = colourOf(lh).slice(1);
  const children: Paragraph[] = [];
  const lines = (ls: string[], opts: { size: number; colour?: string; bold?: boolean; align?: (typeof AlignmentType)[keyof typeof AlignmentType]; after?: number }) =>
    new Paragraph({
      alignment: opts.align,
      spacing: { after: opts.after ?? 0 },
      children: ls.map((l, i) => new TextRun({ text: l, break: i > 0 ? 1 : 0, size: pt(opts.size), color: opts.colour, bold: opts.bold })),
    });

  const logo = logoFit(lh, 180, 56);
  if (logo) children.push(new Paragraph({ spacing: { after: 120 }, children: [new ImageRun({ type: logo.type, data: logo.data, transformation: { width: logo.width, height: logo.height }, altText: { name: 'Logo', title: `${lh.landlordName} logo`, description: `${lh.landlordName} logo` } })] }));
  children.push(lines([lh.landlordName], { size: largePrint ? 24 : 20, colour, bold: true, after: 60 }));
  children.push(
    new Paragraph({
      spacing: { after: 360 },
      border: { bottom: { style: BorderStyle.SINGLE, size: 12, color: colour, space: 6 } },
      children: [...addressLines(lh.landlordAddress), lh.landlordPhone, lh.landlordEmail].filter(Boolean).map((l, i) => new TextRun({ text: l, break: i > 0 ? 1 : 0, size: pt(small), color: '505A5F' })),
    }),
  );
  children.push(lines(lh.recipient, { size, after: 240 }));
  children.push(lines([lh.date, `Our reference: ${lh.reference}`], { size, after: 360 }));
  children.push(lines([input.subject], { size: size + 3, bold: true, after: 200 }));

  for (const b of input.blocks) {
    switch (b.type) {
      case 'heading':
        children.push(new Paragraph({ keepNext: true, spacing: { before: 240, after: 100 }, children: [new TextRun({ text: b.text, bold: true, size: pt(size + 2), color: colour })] }));
        break;
      case 'paragraph':
        children.push(lines(b.lines, { size, after: 160 }));
        break;
      case 'list':
        for (const item of b.items) children.push(new Paragraph({ numbering: { reference: 'bullets', level: 0 }, spacing: { after: 80 }, children: [new TextRun({ text: item, size: pt(size) })] }));
        break;
      case 'table':
        for (const card of tableCards(b)) {
          card.forEach(([h, v], i) => {
            children.push(
              new Paragraph({
                indent: { left: 240 },
                keepNext: i < card.length - 1,
                border: { left: { style: BorderStyle.SINGLE, size: 18, color: colour, space: 8 } },
                spacing: { after: i === card.length - 1 ? 200 : 0 },
                children: [new TextRun({ text: `${h}: `, bold: true, size: pt(size) }), new TextRun({ text: v, size: pt(size) })],
              }),
            );
          });
        }
        break;
    }
  }

  const doc = new Document({
    creator: lh.landlordName,
    title: input.subject,
    description: `Our reference ${lh.reference}`,
    styles: { default: { document: { run: { font: 'Arial', size: pt(size) } } } },
    numbering: {
      config: [{ reference: 'bullets', levels: [{ level: 0, format: LevelFormat.BULLET, text: '•', alignment: AlignmentType.LEFT, style: { paragraph: { indent: { left: 480, hanging: 240 } } } }] }],
    },
    sections: [
      {
        properties: { page: { size: { width: 11906, height: 16838 }, margin: { top: 1000, bottom: 1200, left: 1134, right: 1134 } } },
        footers: {
          default: new Footer({
            children: [
              new Paragraph({
                alignment: AlignmentType.CENTER,
                children: [
                  new TextRun({ text: `${footerText(lh)} · Page `, size: pt(largePrint ? 16 : 8.5), color: '505A5F' }),
                  new TextRun({ children: [PageNumber.CURRENT], size: pt(largePrint ? 16 : 8.5), color: '505A5F' }),
                  new TextRun({ text: ' of ', size: pt(largePrint ? 16 : 8.5), color: '505A5F' }),
                  new TextRun({ children: [PageNumber.TOTAL_PAGES], size: pt(largePrint ? 16 : 8.5), color: '505A5F' }),
                ],
              }),
            ],
          }),
        },
        children,
      },
    ],
  });
  return Packer.toBuffer(doc) as Promise<Buffer>;
}
