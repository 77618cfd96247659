/**
 * The annual complaints performance and service improvement report as Word and PDF, drawn from
 * the one document model (`src/core/annual-report.ts`): headings, paragraphs and tables with
 * their captions, numbers right-aligned.
 */
import { AlignmentType, BorderStyle, Document, Footer, HeadingLevel, Packer, PageNumber, Paragraph, ShadingType, Table, TableCell, TableRow, TextRun, WidthType } from 'docx';
import PDFDocument from 'pdfkit';
import { formatLongDate } from '../core/dates.js';
import type { ReportBlock, ReportModel } from '../core/annual-report.js';
import { setUpPdf } from './pdf-fonts.js';

const FONT = 'Arial';
const BORDER = { style: BorderStyle.SINGLE, size: 4, color: '808080' };
const BORDERS = { top: BORDER, bottom: BORDER, left: BORDER, right: BORDER };

function docxBlock(b: ReportBlock): (Paragraph | Table)[] {
  if (b.kind === 'p' || b.kind === 'note' || b.kind === 'link') {
    return [new Paragraph({ spacing: { after: 160 }, children: [new TextRun({ text: b.text, font: FONT, size: 22, italics: b.kind === 'note' })] })];
  }
  const total = 9000;
  const first = b.head.length > 2 ? 0.4 : 0.6;
  const widths = b.head.map((_, i) => Math.round(i === 0 ? total * first : (total * (1 - first)) / (b.head.length - 1)));
  const cell = (t: string, i: number, head: boolean) =>
    new TableCell({
      width: { size: widths[i], type: WidthType.DXA },
      borders: BORDERS,
      margins: { top: 40, bottom: 40, left: 80, right: 80 },
      ...(head ? { shading: { type: ShadingType.CLEAR, color: 'auto', fill: 'D9E2DF' } } : {}),
      children: [new Paragraph({ alignment: b.numeric?.[i] ? AlignmentType.RIGHT : AlignmentType.LEFT, children: [new TextRun({ text: t, bold: head, font: FONT, size: 20 })] })],
    });
  return [
    new Paragraph({ keepNext: true, spacing: { before: 120, after: 80 }, children: [new TextRun({ text: b.caption, bold: true, font: FONT, size: 22 })] }),
    new Table({
      width: { size: total, type: WidthType.DXA },
      columnWidths: widths,
      rows: [new TableRow({ tableHeader: true, children: b.head.map((h, i) => cell(h, i, true)) }), ...b.rows.map((r) => new TableRow({ children: r.map((c, i) => cell(c, i, false)) }))],
    }),
    new Paragraph({ spacing: { after: 120 }, children: [] }),
  ];
}

export async function annualReportDocx(m: ReportModel): Promise<Buffer> {
  const children: (Paragraph | Table)[] = [
    new Paragraph({ heading: HeadingLevel.TITLE, spacing: { after: 120 }, children: [new TextRun({ text: m.landlordName, font: FONT, size: 28, bold: true })] }),
    new Paragraph({ heading: HeadingLevel.HEADING_1, spacing: { after: 240 }, children: [new TextRun({ text: m.title, font: FONT, size: 36, bold: true })] }),
  ];
  if (m.publishedOn) children.push(new Paragraph({ spacing: { after: 240 }, children: [new TextRun({ text: `Published ${formatLongDate(m.publishedOn)}`, font: FONT, size: 22 })] }));
  for (const s of m.sections) {
    children.push(new Paragraph({ heading: HeadingLevel.HEADING_2, keepNext: true, spacing: { before: 360, after: 160 }, children: [new TextRun({ text: s.heading, font: FONT, size: 30, bold: true })] }));
    children.push(new Paragraph({ spacing: { after: 120 }, children: [new TextRun({ text: `Complaint Handling Code ${s.code}`, font: FONT, size: 18, color: '505a5f' })] }));
    for (const b of s.blocks) children.push(...docxBlock(b));
  }
  const doc = new Document({
    creator: 'Putright',
    title: m.title,
    sections: [
      {
        properties: { page: { margin: { top: 1200, bottom: 1200, left: 1300, right: 1300 } } },
        footers: { default: new Footer({ children: [new Paragraph({ alignment: AlignmentType.RIGHT, children: [new TextRun({ children: [`${m.landlordName} · ${m.title} · page `, PageNumber.CURRENT], size: 16, font: FONT })] })] }) },
        children,
      },
    ],
  });
  return Packer.toBuffer(doc);
}

// ------------------------------------------------------------------------------------------------
// PDF
// ------------------------------------------------------------------------------------------------

/** Text the standard PDF fonts can draw (WinAnsi): typographic quotes and dashes kept, others simplified. */
const standard = (s: string) => s.replace(/[^\x20-\x7e\u00a0-\u00ff\u2018\u2019\u201c\u201d\u2013\u2014\u2022\u20ac£]/g, '?');

export async function annualReportPdf(m: ReportModel, colour = '#1d5c4d'): Promise<Buffer> {
  const brand = /^#[0-9a-fA-F]{6}$/.test(colour) ? colour : '#1d5c4d';
  const doc = new PDFDocument({ size: 'A4', margins: { top: 60, bottom: 60, left: 60, right: 60 }, bufferPages: true, info: { Title: m.title, Author: m.landlordName, Creator: 'Putright' }, lang: 'en-GB' } as any);
  const { embedded, output } = setUpPdf(doc);
  const T = embedded ? (s: string) => s : standard;
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  const ensure = (h: number) => {
    if (doc.y + h > bottom()) doc.addPage();
  };

  doc.rect(0, 0, doc.page.width, 8).fill(brand);
  doc.fillColor('#0b0c0c').font('bold').fontSize(14).text(T(m.landlordName), left, 60, { width });
  doc.moveDown(0.4).font('bold').fontSize(22).text(T(m.title), { width });
  if (m.publishedOn) doc.moveDown(0.3).font('body').fontSize(11).fillColor('#505a5f').text(T(`Published ${formatLongDate(m.publishedOn)}`), { width });
  doc.fillColor('#0b0c0c').moveDown(1);

  for (const s of m.sections) {
    ensure(90);
    doc.moveDown(0.6).font('bold').fontSize(16).fillColor(brand).text(T(s.heading), left, doc.y, { width });
    doc.font('body').fontSize(9).fillColor('#505a5f').text(T(`Complaint Handling Code ${s.code}`), { width });
    doc.fillColor('#0b0c0c').moveDown(0.5);
    for (const b of s.blocks) {
      if (b.kind === 'p' || b.kind === 'note' || b.kind === 'link') {
        doc.font(b.kind === 'note' ? 'italic' : 'body').fontSize(11);
        ensure(Math.min(doc.heightOfString(T(b.text), { width }), 60));
        doc.text(T(b.text), left, doc.y, { width, lineGap: 2 });
        doc.moveDown(0.6);
        continue;
      }
      // A table: caption, header row shaded, rows with wrapped cells; the header repeats on a new page.
      const n = b.head.length;
      const firstShare = n > 2 ? 0.44 : 0.64;
      const widths = b.head.map((_, i) => (i === 0 ? width * firstShare : (width * (1 - firstShare)) / (n - 1)));
      const pad = 4;
      const rowHeight = (cells: string[], font: string) => {
        doc.font(font).fontSize(9.5);
        return Math.max(...cells.map((c, i) => doc.heightOfString(T(c), { width: widths[i] - pad * 2 }))) + pad * 2;
      };
      const drawRow = (cells: string[], head: boolean) => {
        const h = rowHeight(cells, head ? 'bold' : 'body');
        const y = doc.y;
        let x = left;
        if (head) doc.rect(left, y, width, h).fill('#d9e2df').fillColor('#0b0c0c');
        cells.forEach((c, i) => {
          doc.font(head ? 'bold' : 'body').fontSize(9.5).fillColor('#0b0c0c').text(T(c), x + pad, y + pad, { width: widths[i] - pad * 2, align: b.numeric?.[i] ? 'right' : 'left' });
          x += widths[i];
        });
        doc.moveTo(left, y + h).lineTo(left + width, y + h).lineWidth(0.5).strokeColor('#b1b4b6').stroke();
        doc.y = y + h;
        doc.x = left;
      };
      ensure(20 + rowHeight(b.head, 'bold') + (b.rows[0] ? rowHeight(b.rows[0], 'body') : 0));
      doc.font('bold').fontSize(10.5).fillColor('#0b0c0c').text(T(b.caption), left, doc.y, { width });
      doc.moveDown(0.3);
      drawRow(b.head, true);
      for (const r of b.rows) {
        if (doc.y + rowHeight(r, 'body') > bottom()) {
          doc.addPage();
          drawRow(b.head, true);
        }
        drawRow(r, false);
      }
      doc.moveDown(0.8);
    }
  }

  const range = doc.bufferedPageRange();
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    const y = doc.page.height - 40;
    // Writing in the bottom margin must not add a page.
    doc.page.margins.bottom = 0;
    doc.font('body').fontSize(8.5).fillColor('#505a5f').text(T(`${m.landlordName} · ${m.title} · page ${i + 1} of ${range.count}`), left, y, { width, align: 'right', lineBreak: false });
  }
  doc.end();
  return output;
}
