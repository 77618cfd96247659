/**
 * An XLSX workbook written a row at a time into a streamed ZIP (zip-stream.ts), so its size in
 * memory does not grow with its rows. exceljs holds every cell as an object (about 1 KB each: a
 * 100,000-row history sheet ran a 768 MB heap out), and its streaming writer still buffers each
 * sheet's XML whole; this writes the few parts of SpreadsheetML a table needs. Cells are as
 * `cell()` (spreadsheets.ts) makes them: text (always text, never a formula), numbers, true/false,
 * and instants as dates shown `yyyy-mm-dd hh:mm:ss` in UTC; the header row is bold and frozen.
 */
import { cell } from './spreadsheets.js';
import type { ZipWriter } from './zip-stream.js';

/** Excel's rows per sheet, less the header row. */
export const XLSX_MAX_DATA_ROWS = 1_048_575;

export interface XlsxSheetSpec {
  name: string;
  columns: readonly { key: string; label: string; width?: number }[];
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';
const HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const STYLE_HEADER = 1;
const STYLE_DATE = 2;

/** Characters XML 1.0 cannot hold (controls, lone surrogates, U+FFFE/U+FFFF) are left out; the rest escaped. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
export function xmlText(s: string): string {
  // A carriage return as a reference: a literal one would be read back as a line feed.
  return s.replace(NOT_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\r/g, '&#13;');
}

function columnName(i: number): string {
  let n = i + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

function cellXml(ref: string, v: unknown, style = 0): string {
  const c = cell(v);
  const s = style ? ` s="${style}"` : '';
  if (c === null) return '';
  if (typeof c === 'number' && Number.isFinite(c)) return `<c r="${ref}"${s}><v>${c}</v></c>`;
  if (typeof c === 'boolean') return `<c r="${ref}"${s} t="b"><v>${c ? 1 : 0}</v></c>`;
  if (c instanceof Date) {
    if (Number.isNaN(c.getTime())) return '';
    return `<c r="${ref}" s="${STYLE_DATE}"><v>${c.getTime() / 86_400_000 + 25_569}</v></c>`;
  }
  return `<c r="${ref}"${s} t="inlineStr"><is><t xml:space="preserve">${xmlText(String(c))}</t></is></c>`;
}

export class XlsxWriter {
  private sheet: { index: number; spec: XlsxSheetSpec; refs: string[]; row: number } | null = null;
  private next = 0;

  constructor(
    private readonly zip: ZipWriter,
    private readonly sheets: readonly XlsxSheetSpec[],
    meta: { title: string; creator: string; created?: Date },
  ) {
    const n = sheets.length;
    const part = (name: string, xml: string) => {
      zip.startFile(name);
      zip.write(HEAD + xml);
    };
    part(
      '[Content_Types].xml',
      `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
        `<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
        sheets.map((_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join('') +
        `<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
        `<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
        `<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>`,
    );
    part(
      '_rels/.rels',
      `<Relationships xmlns="${PKG_REL}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/>` +
        `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
        `<Relationship Id="rId3" Type="${REL}/extended-properties" Target="docProps/app.xml"/></Relationships>`,
    );
    part(
      'docProps/core.xml',
      `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
        `<dc:title>${xmlText(meta.title)}</dc:title><dc:creator>${xmlText(meta.creator)}</dc:creator>` +
        `<dcterms:created xsi:type="dcterms:W3CDTF">${(meta.created ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z')}</dcterms:created></cp:coreProperties>`,
    );
    part('docProps/app.xml', `<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Putright</Application></Properties>`);
    part(
      'xl/workbook.xml',
      `<workbook xmlns="${MAIN}" xmlns:r="${REL}"><bookViews><workbookView/></bookViews><sheets>` +
        sheets.map((s, i) => `<sheet name="${xmlText(s.name.slice(0, 31))}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
        `</sheets></workbook>`,
    );
    part(
      'xl/_rels/workbook.xml.rels',
      `<Relationships xmlns="${PKG_REL}">` +
        sheets.map((_, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join('') +
        `<Relationship Id="rId${n + 1}" Type="${REL}/styles" Target="styles.xml"/></Relationships>`,
    );
    part(
      'xl/styles.xml',
      `<styleSheet xmlns="${MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>` +
        `<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
        `<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
        `<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
        `<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
        `<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
        `<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>` +
        `<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`,
    );
  }

  /** Start the next sheet (in the order given to the constructor), with its bold, frozen header row. */
  startSheet(): XlsxSheetSpec {
    this.endSheet();
    const index = this.next++;
    const spec = this.sheets[index];
    if (!spec) throw new Error('every sheet has been written');
    const refs = spec.columns.map((_, i) => columnName(i));
    this.zip.startFile(`xl/worksheets/sheet${index + 1}.xml`);
    const cols = spec.columns.map((c, i) => `<col min="${i + 1}" max="${i + 1}" width="${c.width ?? Math.min(60, Math.max(12, c.label.length + 2))}" customWidth="1"/>`).join('');
    const header = spec.columns.map((c, i) => cellXml(`${refs[i]}1`, c.label, STYLE_HEADER)).join('');
    this.zip.write(
      `${HEAD}<worksheet xmlns="${MAIN}" xmlns:r="${REL}"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>` +
        `<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>${cols}</cols><sheetData><row r="1">${header}</row>`,
    );
    this.sheet = { index, spec, refs, row: 1 };
    return spec;
  }

  /** The rows' XML, as one string to write (the caller writes it, in batches). */
  rowsXml(rows: readonly Record<string, unknown>[]): string {
    const s = this.sheet;
    if (!s) throw new Error('no sheet has been started');
    let xml = '';
    for (const r of rows) {
      const n = ++s.row;
      if (n > XLSX_MAX_DATA_ROWS + 1) throw new Error(`the ${s.spec.name} sheet has more rows than a workbook can hold`);
      xml += `<row r="${n}">`;
      for (let i = 0; i < s.spec.columns.length; i++) xml += cellXml(`${s.refs[i]}${n}`, r[s.spec.columns[i].key]);
      xml += '</row>';
    }
    return xml;
  }

  addRows(rows: readonly Record<string, unknown>[]): void {
    this.zip.write(this.rowsXml(rows));
  }

  endSheet(): void {
    if (!this.sheet) return;
    this.zip.write('</sheetData></worksheet>');
    this.zip.endFile();
    this.sheet = null;
  }

  /** Finish the last sheet and the archive. */
  end(): void {
    this.endSheet();
    this.zip.end();
  }
}
