/**
 * Reports as Word (.docx) and PDF documents: a title page block, headings, paragraphs, bullet
 * lists and ruled tables with a caption and a header row repeated on each page. Used for the MRC
 * pack; the model (`ReportDocument`) is plain data so other reports can use it too.
 */
import {
  AlignmentType,
  BorderStyle,
  Document,
  Footer,
  HeadingLevel,
  LevelFormat,
  Packer,
  PageNumber,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from 'docx';
import PDFDocument from 'pdfkit';
import { setUpPdf } from './pdf-fonts.js';

export type ReportBlock =
  | { type: 'heading'; text: string; level?: 1 | 2 }
  | { type: 'paragraph'; text: string }
  | { type: 'bullets'; items: string[] }
  | { type: 'table'; caption: string; header: string[]; rows: (string | number)[][]; numeric?: boolean[] };

export interface ReportDocument {
  title: string;
  subtitle: string;
  landlordName: string;
  colour: string;
  /** Shown small under the title: when and by which logic the figures were produced. */
  provenance: string;
  blocks: ReportBlock[];
}

const colourOf = (c: string) => (/^#[0-9a-fA-F]{6}$/.test(c) ? c : '#1d5c4d');

const latin1 = (s: string) => s.replace(/[^\u0000-\u00ff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac\u00a3]/g, '?');

// ---------------------------------------------------------------------------------------------
// PDF
// ---------------------------------------------------------------------------------------------

export function reportPdf(r: ReportDocument): Promise<Buffer> {
  const colour = colourOf(r.colour);
  const margin = 50;
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 50, bottom: 60, left: margin, right: margin },
    bufferPages: true,
    lang: 'en-GB',
    displayTitle: true,
    info: { Title: r.title, Author: r.landlordName, Subject: r.subtitle },
  } as any);
  const { embedded, output: done } = setUpPdf(doc);
  const T = embedded ? (s: string) => s : latin1;
  const width = doc.page.width - margin * 2;
  const ink = '#0b0c0c';
  const grey = '#505a5f';
  const bottom = () => doc.page.height - doc.page.margins.bottom;

  doc.font('bold').fontSize(11).fillColor(colour).text(T(r.landlordName), margin, doc.y, { width });
  doc.moveDown(0.3).font('bold').fontSize(22).fillColor(ink).text(T(r.title), { width });
  doc.moveDown(0.2).font('body').fontSize(13).fillColor(ink).text(T(r.subtitle), { width });
  doc.moveDown(0.3).font('body').fontSize(8.5).fillColor(grey).text(T(r.provenance), { width });
  doc.moveDown(0.5);
  doc.moveTo(margin, doc.y).lineTo(margin + width, doc.y).lineWidth(2).strokeColor(colour).stroke();
  doc.moveDown(0.8);

  r.blocks.forEach((b, i) => {
    switch (b.type) {
      case 'heading': {
        const size = b.level === 2 ? 12.5 : 15;
        // Keep a heading with the start of what follows it: a few lines of text, or a table's caption and first rows.
        const next = r.blocks[i + 1];
        const headingH = doc.font('bold').fontSize(size).heightOfString(T(b.text), { width }) + size;
        const nextH = !next
          ? 0
          : next.type === 'paragraph'
            ? Math.min(doc.font('body').fontSize(10).heightOfString(T(next.text), { width, lineGap: 1.5 }), 40)
            : next.type === 'table'
              ? 70
              : 30;
        if (doc.y + headingH + nextH > bottom()) doc.addPage();
        doc.moveDown(b.level === 2 ? 0.4 : 0.8).font('bold').fontSize(size).fillColor(b.level === 2 ? ink : colour).text(T(b.text), margin, doc.y, { width });
        doc.moveDown(0.3);
        break;
      }
      case 'paragraph':
        doc.font('body').fontSize(10).fillColor(ink).text(T(b.text), margin, doc.y, { width, lineGap: 1.5 });
        doc.moveDown(0.5);
        break;
      case 'bullets':
        for (const item of b.items) {
          const y = doc.y;
          doc.font('body').fontSize(10).fillColor(ink).text('•', margin + 4, y, { width: 12 });
          doc.text(T(item), margin + 18, y, { width: width - 18, lineGap: 1.5 });
          doc.moveDown(0.2);
        }
        doc.x = margin;
        doc.moveDown(0.3);
        break;
      case 'table':
        drawTable(doc, b, { margin, width, colour, T, bottom });
        break;
    }
  });

  const range = (doc as any).bufferedPageRange();
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    const keep = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('body').fontSize(8).fillColor(grey);
    const page = ` · Page ${i + 1} of ${range.count}`;
    // The longest footer that fits on one line.
    const footer = [`${r.landlordName} · ${r.title} · ${r.subtitle}${page}`, `${r.landlordName} · ${r.subtitle}${page}`, `${r.subtitle}${page}`].map(T).find((f) => doc.widthOfString(f) <= width) ?? T(page.slice(3));
    doc.text(footer, margin, doc.page.height - 38, { width, align: 'center', lineBreak: false });
    doc.page.margins.bottom = keep;
  }
  doc.end();
  return done;
}

function drawTable(
  doc: PDFKit.PDFDocument,
  t: Extract<ReportBlock, { type: 'table' }>,
  o: { margin: number; width: number; colour: string; T: (s: string) => string; bottom: () => number },
) {
  const { margin, width, T } = o;
  const n = t.header.length;
  const numeric = t.numeric ?? t.header.map((_, i) => i > 0 && t.rows.every((r) => typeof r[i] === 'number' || /^[\d.,£%\s–-]*$/.test(String(r[i]))));
  // The first column takes what the numbers leave.
  const numW = Math.min(90, Math.max(60, (width * 0.5) / Math.max(1, n - 1)));
  const widths = t.header.map((_, i) => (i === 0 ? width - numW * (n - 1) : numW));
  const pad = 4;
  const size = 9;
  const rowHeight = (cells: string[], bold: boolean) =>
    Math.max(...cells.map((c, i) => doc.font(bold ? 'bold' : 'body').fontSize(size).heightOfString(T(c), { width: widths[i] - pad * 2 }))) + pad * 2;
  const drawRow = (cells: string[], bold: boolean, fill: string | null) => {
    const h = rowHeight(cells, bold);
    if (doc.y + h > o.bottom()) {
      doc.addPage();
      doc.font('bold').fontSize(10).fillColor('#0b0c0c').text(T(`${t.caption} (continued)`), margin, doc.y, { width });
      doc.moveDown(0.2);
      drawHeader();
    }
    const y = doc.y;
    if (fill) doc.rect(margin, y, width, h).fillColor(fill).fill();
    let x = margin;
    cells.forEach((c, i) => {
      doc.font(bold ? 'bold' : 'body').fontSize(size).fillColor('#0b0c0c').text(T(c), x + pad, y + pad, { width: widths[i] - pad * 2, align: numeric[i] ? 'right' : 'left' });
      x += widths[i];
    });
    doc.moveTo(margin, y + h).lineTo(margin + width, y + h).lineWidth(0.5).strokeColor('#b1b4b6').stroke();
    doc.y = y + h;
  };
  const drawHeader = () => drawRow(t.header, true, '#f3f2f1');
  // Keep the caption with the header and the first rows.
  if (doc.y + 70 > o.bottom()) doc.addPage();
  doc.font('bold').fontSize(10).fillColor('#0b0c0c').text(T(t.caption), margin, doc.y, { width });
  doc.moveDown(0.2);
  drawHeader();
  if (t.rows.length === 0) drawRow([`None in this period`, ...t.header.slice(1).map(() => '')], false, null);
  for (const r of t.rows) drawRow(r.map(String), false, null);
  doc.x = margin;
  doc.moveDown(0.8);
}

// ---------------------------------------------------------------------------------------------
// Word
// ---------------------------------------------------------------------------------------------

export function reportDocx(r: ReportDocument): Promise<Buffer> {
  const colour = colourOf(r.colour).slice(1);
  const pt = (n: number) => n * 2;
  const children: (Paragraph | Table)[] = [];
  children.push(new Paragraph({ children: [new TextRun({ text: r.landlordName, bold: true, color: colour, size: pt(11) })] }));
  children.push(new Paragraph({ heading: HeadingLevel.TITLE, children: [new TextRun({ text: r.title, bold: true, size: pt(22), color: '0B0C0C' })] }));
  children.push(new Paragraph({ children: [new TextRun({ text: r.subtitle, size: pt(13) })] }));
  children.push(
    new Paragraph({
      spacing: { after: 240 },
      border: { bottom: { style: BorderStyle.SINGLE, size: 12, color: colour, space: 6 } },
      children: [new TextRun({ text: r.provenance, size: pt(8.5), color: '505A5F' })],
    }),
  );
  const border = { style: BorderStyle.SINGLE, size: 4, color: 'B1B4B6' };
  for (const b of r.blocks) {
    switch (b.type) {
      case 'heading':
        children.push(
          new Paragraph({
            heading: b.level === 2 ? HeadingLevel.HEADING_2 : HeadingLevel.HEADING_1,
            keepNext: true,
            spacing: { before: 240, after: 100 },
            children: [new TextRun({ text: b.text, bold: true, size: pt(b.level === 2 ? 12.5 : 15), color: b.level === 2 ? '0B0C0C' : colour })],
          }),
        );
        break;
      case 'paragraph':
        children.push(new Paragraph({ spacing: { after: 120 }, children: [new TextRun({ text: b.text, size: pt(10) })] }));
        break;
      case 'bullets':
        for (const item of b.items) children.push(new Paragraph({ numbering: { reference: 'bullets', level: 0 }, children: [new TextRun({ text: item, size: pt(10) })] }));
        break;
      case 'table': {
        children.push(new Paragraph({ keepNext: true, spacing: { before: 120, after: 60 }, children: [new TextRun({ text: b.caption, bold: true, size: pt(10) })] }));
        const numeric = b.header.map((_, i) => i > 0);
        const row = (cells: (string | number)[], header: boolean) =>
          new TableRow({
            tableHeader: header,
            cantSplit: true,
            children: cells.map(
              (c, i) =>
                new TableCell({
                  borders: { top: border, bottom: border, left: border, right: border },
                  shading: header ? { fill: 'F3F2F1' } : undefined,
                  children: [new Paragraph({ alignment: numeric[i] ? AlignmentType.RIGHT : AlignmentType.LEFT, children: [new TextRun({ text: String(c), bold: header, size: pt(9) })] })],
                }),
            ),
          });
        const rows = b.rows.length ? b.rows : [['None in this period', ...b.header.slice(1).map(() => '')]];
        children.push(new Table({ width: { size: 100, type: WidthType.PERCENTAGE }, rows: [row(b.header, true), ...rows.map((x) => row(x, false))] }));
        children.push(new Paragraph({ children: [] }));
        break;
      }
    }
  }
  const doc = new Document({
    creator: r.landlordName,
    title: r.title,
    description: r.subtitle,
    styles: { default: { document: { run: { font: 'Arial', size: pt(10) } } } },
    numbering: { config: [{ reference: 'bullets', levels: [{ level: 0, format: LevelFormat.BULLET, text: '•', alignment: AlignmentType.LEFT, style: { paragraph: { indent: { left: 480, hanging: 240 } } } }] }] },
    sections: [
      {
        properties: { page: { size: { width: 11906, height: 16838 }, margin: { top: 1000, bottom: 1100, left: 1000, right: 1000 } } },
        footers: {
          default: new Footer({
            children: [
              new Paragraph({
                alignment: AlignmentType.CENTER,
                children: [
                  new TextRun({ text: `${r.landlordName} · ${r.title} · ${r.subtitle} · Page `, size: pt(8), color: '505A5F' }),
                  new TextRun({ children: [PageNumber.CURRENT], size: pt(8), color: '505A5F' }),
                  new TextRun({ text: ' of ', size: pt(8), color: '505A5F' }),
                  new TextRun({ children: [PageNumber.TOTAL_PAGES], size: pt(8), color: '505A5F' }),
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

export const mrcPackPdf = reportPdf;
export const mrcPackDocx = reportDocx;
