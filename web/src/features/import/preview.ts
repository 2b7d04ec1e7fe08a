import { parse } from 'csv-parse/browser/esm/sync';

export type ImportFormat = 'csv' | 'vcard';

export interface FilePreview {
  format: ImportFormat;
  /** CSV: the header's column names; vCard: none (its properties are fixed). */
  columns: string[];
  /** CSV: up to three data rows, to help map the columns. */
  sample: string[][];
}

const PREVIEW_BYTES = 64 * 1024;

export function formatOf(file: File): ImportFormat {
  return /\.(vcf|vcard)$/i.test(file.name) || /vcard/i.test(file.type) ? 'vcard' : 'csv';
}

/** The media type the import API reads the body as; the server finds the character set from the bytes. */
export function contentTypeOf(format: ImportFormat): string {
  return format === 'vcard' ? 'text/vcard' : 'text/csv';
}

/** The start of the file as text: UTF-16 with a BOM, UTF-8, else Windows-1252 (as the server reads it). */
function decode(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // A UTF-8 sequence cut at the end of the slice also lands here; windows-1252 still shows the header.
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** Reads the header and a few rows in the browser, so the columns can be mapped before anything is sent. */
export async function previewOf(file: File): Promise<FilePreview> {
  const format = formatOf(file);
  if (format === 'vcard') return { format, columns: [], sample: [] };
  const text = decode(new Uint8Array(await file.slice(0, PREVIEW_BYTES).arrayBuffer()));
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = [';', '\t', ','].reduce(
    (best, candidate) => (firstLine.split(candidate).length > firstLine.split(best).length ? candidate : best),
    ',',
  );
  let records: string[][] = [];
  try {
    records = parse(text, { delimiter, to: 4, relax_column_count: true, relax_quotes: true, bom: true, skip_empty_lines: true });
  } catch {
    records = [firstLine.split(delimiter)];
  }
  const [header = [], ...sample] = records;
  return { format, columns: header.map((column) => column.trim()), sample };
}

/** The `mapping` parameter: `Column:field` pairs; column names are matched loosely, so `,` and `:` in them are dropped. */
export function mappingParameter(mapping: Record<string, string>): string | undefined {
  const pairs = Object.entries(mapping)
    .filter(([, field]) => field !== '')
    .map(([column, field]) => `${column.replace(/[,:]/g, ' ').trim()}:${field}`);
  return pairs.length > 0 ? pairs.join(',') : undefined;
}
