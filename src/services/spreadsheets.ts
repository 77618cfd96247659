/** Tables as CSV and XLSX (exceljs), for report exports and the full data export. */
import ExcelJS from 'exceljs';
import { csvLine } from '../core/csv.js';

export interface Sheet {
  /** The worksheet's name (at most 31 characters). */
  name: string;
  columns: { key: string; label: string; width?: number }[];
  rows: Record<string, unknown>[];
}

/** A value as a spreadsheet cell: numbers, booleans and dates as themselves, objects as JSON, anything else as text. */
export function cell(v: unknown): string | number | boolean | Date | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  if (typeof v === 'object') return JSON.stringify(v);
  const s = String(v);
  // Text a spreadsheet could run as a formula is never written as one (exceljs writes strings as text).
  return s;
}

type Columns = readonly { key: string }[];

/** The header line of a sheet as CSV: its columns' keys. */
export function csvHeaderLine(columns: Columns): string {
  return csvLine(columns.map((c) => c.key));
}

/** One row of a sheet as a CSV line, in the sheet's columns (so a table can be written a row at a time). */
export function csvRowLine(columns: Columns, row: Record<string, unknown>): string {
  return csvLine(columns.map((c) => row[c.key]));
}

export function sheetCsv(sheet: Sheet): string {
  return csvHeaderLine(sheet.columns) + sheet.rows.map((r) => csvRowLine(sheet.columns, r)).join('');
}

export async function sheetsXlsx(sheets: Sheet[], meta: { title: string; creator: string }): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = meta.creator;
  wb.title = meta.title;
  wb.created = new Date(0);
  for (const s of sheets) {
    const ws = wb.addWorksheet(s.name.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = s.columns.map((c) => ({ header: c.label, key: c.key, width: c.width ?? Math.min(60, Math.max(12, c.label.length + 2)) }));
    ws.getRow(1).font = { bold: true };
    for (const r of s.rows) ws.addRow(Object.fromEntries(s.columns.map((c) => [c.key, cell(r[c.key])])));
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
