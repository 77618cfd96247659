/**
 * The self-assessment as documents: Word (.docx) in the Ombudsman's form layout (a table per
 * section: Code provision | Code requirement | Comply | Evidence | Commentary/explanation) and a
 * spreadsheet (.xlsx); and the reading of an existing self-assessment uploaded as .docx, .xlsx or
 * .csv (or pasted as tab-separated text) into a table of cells for the importer.
 */
import ExcelJS from 'exceljs';
import { unzipSync } from 'fflate';
import {
  AlignmentType,
  BorderStyle,
  Document,
  Footer,
  HeadingLevel,
  Packer,
  PageNumber,
  PageOrientation,
  Paragraph,
  ShadingType,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from 'docx';
import { formatLongDate } from '../core/dates.js';
import { parseCsv, parseTabSeparated } from '../core/self-assessment.js';
import { InvalidInput } from './errors.js';
import type { SelfAssessmentService } from './self-assessments.js';

export type AssessmentView = Awaited<ReturnType<SelfAssessmentService['get']>>;
type RowView = AssessmentView['rows'][number];

export const COLUMN_HEADINGS = ['Code provision', 'Code requirement', 'Comply: Yes / No', 'Evidence', 'Commentary / explanation'] as const;

const complyText = (c: string | null) => (c === 'yes' ? 'Yes' : c === 'no' ? 'No' : '');

/** The evidence column: the landlord's evidence, then what the record shows for the period. */
export function evidenceParagraphs(a: AssessmentView, r: RowView): string[] {
  const out = r.evidence ? r.evidence.split('\n').filter(Boolean) : [];
  if (r.generatedEvidence.length) out.push(`From the complaints record, ${a.periodFrom} to ${a.periodTo}:`, ...r.generatedEvidence);
  return out;
}

/** The commentary column: the landlord's commentary, the record's flag, and the actions with dates. */
export function commentaryParagraphs(r: RowView): string[] {
  const out = r.commentary ? r.commentary.split('\n').filter(Boolean) : [];
  if (r.flag) out.push(`The record suggests this may not be met: ${r.flag}`);
  for (const act of r.actions) out.push(`Action: ${act.text}${act.dueOn ? ` (by ${formatLongDate(act.dueOn)})` : ''}`);
  return out;
}

// ------------------------------------------------------------------------------------------------
// Word
// ------------------------------------------------------------------------------------------------

const BORDER = { style: BorderStyle.SINGLE, size: 4, color: '808080' };
const BORDERS = { top: BORDER, bottom: BORDER, left: BORDER, right: BORDER };
/** Column widths in twentieths of a point, on A4 landscape with 2 cm margins. */
const WIDTHS = [1100, 4200, 1100, 4300, 3700];

function cell(paragraphs: string[], width: number, opts: { bold?: boolean; shade?: string } = {}) {
  const lines = paragraphs.length ? paragraphs : [''];
  return new TableCell({
    width: { size: width, type: WidthType.DXA },
    borders: BORDERS,
    margins: { top: 60, bottom: 60, left: 80, right: 80 },
    ...(opts.shade ? { shading: { type: ShadingType.CLEAR, color: 'auto', fill: opts.shade } } : {}),
    children: lines.map((l) => new Paragraph({ spacing: { after: 60 }, children: [new TextRun({ text: l, bold: opts.bold, size: 18, font: 'Arial' })] })),
  });
}

export async function assessmentDocx(a: AssessmentView, landlordName: string): Promise<Buffer> {
  const children: (Paragraph | Table)[] = [
    new Paragraph({ heading: HeadingLevel.TITLE, children: [new TextRun({ text: `${landlordName}: self-assessment against the Housing Ombudsman’s Complaint Handling Code`, font: 'Arial', size: 36, bold: true })] }),
    new Paragraph({ spacing: { after: 120 }, children: [new TextRun({ text: a.title, font: 'Arial', size: 22 })] }),
    new Paragraph({
      spacing: { after: 240 },
      children: [
        new TextRun({ text: `Period: ${formatLongDate(a.periodFrom)} to ${formatLongDate(a.periodTo)}. ${a.reasonLabel}. `, font: 'Arial', size: 20 }),
        new TextRun({ text: a.status === 'final' && a.completedOn ? `Completed on ${formatLongDate(a.completedOn)}.` : 'Draft.', font: 'Arial', size: 20 }),
      ],
    }),
  ];
  for (const s of a.sections) {
    children.push(new Paragraph({ heading: HeadingLevel.HEADING_2, spacing: { before: 240, after: 120 }, keepNext: true, children: [new TextRun({ text: `Section ${s.number}: ${s.title}`, font: 'Arial', size: 26, bold: true })] }));
    children.push(
      new Table({
        width: { size: WIDTHS.reduce((x, y) => x + y, 0), type: WidthType.DXA },
        columnWidths: WIDTHS,
        rows: [
          new TableRow({ tableHeader: true, children: COLUMN_HEADINGS.map((h, i) => cell([h], WIDTHS[i], { bold: true, shade: 'D9E2DF' })) }),
          ...s.rows.map(
            (r) =>
              new TableRow({
                cantSplit: false,
                children: [
                  cell([r.provisionId], WIDTHS[0], { bold: true }),
                  cell(r.requirement.split('\n'), WIDTHS[1]),
                  cell([complyText(r.comply)], WIDTHS[2]),
                  cell(evidenceParagraphs(a, r), WIDTHS[3]),
                  cell(commentaryParagraphs(r), WIDTHS[4]),
                ],
              }),
          ),
        ],
      }),
    );
  }
  const doc = new Document({
    creator: 'Putright',
    title: a.title,
    description: 'Self-assessment against the Complaint Handling Code (2024)',
    sections: [
      {
        properties: { page: { size: { orientation: PageOrientation.LANDSCAPE, width: 11906, height: 16838 }, margin: { top: 1000, bottom: 1000, left: 1000, right: 1000 } } },
        footers: {
          default: new Footer({
            children: [new Paragraph({ alignment: AlignmentType.RIGHT, children: [new TextRun({ children: [`${landlordName} · self-assessment · page `, PageNumber.CURRENT], size: 16, font: 'Arial' })] })],
          }),
        },
        children,
      },
    ],
  });
  return Packer.toBuffer(doc);
}

// ------------------------------------------------------------------------------------------------
// Spreadsheet
// ------------------------------------------------------------------------------------------------

export async function assessmentXlsx(a: AssessmentView, landlordName: string): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Putright';
  wb.title = a.title;
  const ws = wb.addWorksheet('Self-assessment', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = [
    { header: 'Section', key: 'section', width: 28 },
    { header: COLUMN_HEADINGS[0], key: 'provision', width: 10 },
    { header: COLUMN_HEADINGS[1], key: 'requirement', width: 60 },
    { header: COLUMN_HEADINGS[2], key: 'comply', width: 10 },
    { header: COLUMN_HEADINGS[3], key: 'evidence', width: 60 },
    { header: COLUMN_HEADINGS[4], key: 'commentary', width: 50 },
    { header: 'Actions', key: 'actions', width: 40 },
    { header: 'Flag from the record', key: 'flag', width: 40 },
  ];
  ws.getRow(1).font = { bold: true };
  for (const s of a.sections) {
    for (const r of s.rows) {
      const row = ws.addRow({
        section: `Section ${s.number}: ${s.title}`,
        provision: r.provisionId,
        requirement: r.requirement,
        comply: complyText(r.comply),
        evidence: evidenceParagraphs(a, r).join('\n'),
        commentary: r.commentary,
        actions: r.actions.map((x) => `${x.text}${x.dueOn ? ` (by ${x.dueOn})` : ''}`).join('\n'),
        flag: r.flag ?? '',
      });
      row.alignment = { wrapText: true, vertical: 'top' };
    }
  }
  const about = wb.addWorksheet('About');
  about.addRows([
    ['Landlord', landlordName],
    ['Title', a.title],
    ['Period from', a.periodFrom],
    ['Period to', a.periodTo],
    ['Reason', a.reasonLabel],
    ['Status', a.status],
    ['Evidence as at', a.evidenceAsAt ?? ''],
    ['Code', 'Housing Ombudsman Complaint Handling Code (2024)'],
  ]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

// ------------------------------------------------------------------------------------------------
// Reading an uploaded self-assessment into a table of cells
// ------------------------------------------------------------------------------------------------

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeXml = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) => (e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : XML_ENTITIES[e]));

function paragraphText(p: string): string {
  return (p.match(/<w:t(?:\s[^>]*)?>[\s\S]*?<\/w:t>|<w:br\/>|<w:tab\/>/g) ?? [])
    .map((r) => (r === '<w:br/>' ? '\n' : r === '<w:tab/>' ? ' ' : decodeXml(r.replace(/^<w:t[^>]*>/, '').replace(/<\/w:t>$/, ''))))
    .join('');
}

/** Every table row of a Word document, cells as text (paragraphs joined by line breaks). Nested tables are read as text. */
export function docxTable(data: Buffer): string[][] {
  let xml: string;
  try {
    const files = unzipSync(new Uint8Array(data), { filter: (f) => f.name === 'word/document.xml' });
    const doc = files['word/document.xml'];
    if (!doc) throw new Error('no document');
    xml = Buffer.from(doc).toString('utf8');
  } catch {
    throw new InvalidInput('The file is not a Word document (.docx) that can be read.', 'file');
  }
  const rows: string[][] = [];
  for (const tr of xml.match(/<w:tr[ >][\s\S]*?<\/w:tr>/g) ?? []) {
    const cells = (tr.match(/<w:tc>[\s\S]*?<\/w:tc>|<w:tc [\s\S]*?<\/w:tc>/g) ?? []).map((tc) => (tc.match(/<w:p[ >][\s\S]*?<\/w:p>|<w:p\/>/g) ?? []).map(paragraphText).join('\n').trim());
    rows.push(cells);
  }
  return rows;
}

function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  const o = v as any;
  if (Array.isArray(o.richText)) return o.richText.map((t: any) => t.text).join('');
  if (o.text !== undefined) return String(o.text);
  if (o.result !== undefined) return cellText(o.result);
  return '';
}

/** Every row of every worksheet, cells as text. */
export async function xlsxTable(data: Buffer): Promise<string[][]> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(data as any);
  } catch {
    throw new InvalidInput('The file is not a spreadsheet (.xlsx) that can be read.', 'file');
  }
  // The first worksheet that holds provisions (others are notes, like this product's "About" sheet).
  const sheets: string[][][] = [];
  wb.eachSheet((ws) => {
    const rows: string[][] = [];
    ws.eachRow({ includeEmpty: false }, (row) => {
      const cells: string[] = [];
      const values = row.values as ExcelJS.CellValue[];
      for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]));
      rows.push(cells);
    });
    sheets.push(rows);
  });
  const rows = sheets.find((rs) => rs.some((r) => r.slice(0, 2).some((c) => /^\s*\d\.\d+\s*$/.test(c)))) ?? sheets[0] ?? [];
  // A provision number read as a number (1.1 → "1.1", but 1.10 → "1.1"): Excel loses trailing zeros,
  // so a numeric 6.1 after 6.9 is 6.10. The importer sees text; fix it here where the order is known.
  let last = '';
  for (const r of rows) {
    for (let i = 0; i < Math.min(2, r.length); i++) {
      const c = r[i] ?? '';
      if (!/^\d\.\d+$/.test(c)) continue;
      if (/^\d\.1$/.test(c) && /^\d\.\d+$/.test(last) && last.split('.')[0] === c.split('.')[0] && Number(last.split('.')[1]) >= 9) r[i] = `${c}0`;
      last = r[i];
    }
  }
  return rows;
}

/** A pasted or uploaded self-assessment as a table of cells, by what it is. */
export async function tableFrom(input: { text?: string | null; filename?: string | null; data?: Buffer | null }): Promise<{ table: string[][]; source: string }> {
  if (input.text && input.text.trim()) return { table: parseTabSeparated(input.text), source: 'pasted table' };
  if (!input.data || input.data.length === 0) throw new InvalidInput('Paste the table, or choose a .docx, .xlsx or .csv file.', 'file');
  const name = (input.filename ?? '').toLowerCase();
  const zip = input.data[0] === 0x50 && input.data[1] === 0x4b;
  if (name.endsWith('.docx') || (zip && !name.endsWith('.xlsx') && input.data.includes(Buffer.from('word/')))) return { table: docxTable(input.data), source: input.filename ?? 'Word document' };
  if (name.endsWith('.xlsx') || zip) return { table: await xlsxTable(input.data), source: input.filename ?? 'spreadsheet' };
  const text = input.data.toString('utf8');
  if (name.endsWith('.csv')) return { table: parseCsv(text), source: input.filename ?? 'CSV' };
  if (name.endsWith('.txt') || name.endsWith('.tsv') || text.includes('\t')) return { table: parseTabSeparated(text), source: input.filename ?? 'text' };
  throw new InvalidInput('The file must be a .docx, .xlsx or .csv file, or tab-separated text.', 'file');
}
