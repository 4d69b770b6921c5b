// Result tables as Markdown (for reading) and CSV (for other tools).

/** A table cell; null means "no value" (e.g. the accuracy of an empty group). */
export type Cell = string | number | null;
export type Alignment = 'left' | 'right' | 'center';

export interface MarkdownTableOptions {
  /** Alignment per column. Default: right for columns whose cells are all numbers (or null), left otherwise. */
  align?: Alignment[];
  /**
   * Decimals for numbers, for every column or per column. A column with a digits value formats every number
   * with toFixed(digits); without one, integers print as they are (counts) and other numbers with 3 decimals.
   */
  digits?: number | (number | undefined)[];
  /** Text for null and non-finite numbers. Default "—". */
  missing?: string;
}

function formatNumber(value: number, digits: number | undefined, missing: string): string {
  if (!Number.isFinite(value)) return missing;
  if (digits !== undefined) return value.toFixed(digits);
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

// A pipe would end the cell and a newline the row.
function escapeMarkdown(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function pad(text: string, width: number, align: Alignment): string {
  const gap = width - text.length;
  if (gap <= 0) return text;
  if (align === 'right') return ' '.repeat(gap) + text;
  if (align === 'center') return ' '.repeat(Math.floor(gap / 2)) + text + ' '.repeat(Math.ceil(gap / 2));
  return text + ' '.repeat(gap);
}

function alignmentMarker(align: Alignment, width: number): string {
  const dashes = '-'.repeat(Math.max(width - (align === 'center' ? 2 : 1), 1));
  if (align === 'right') return dashes + ':';
  if (align === 'center') return ':' + dashes + ':';
  return ':' + dashes;
}

function checkRowWidths(fn: string, headers: readonly string[], rows: readonly (readonly Cell[])[]): void {
  rows.forEach((row, r) => {
    if (row.length !== headers.length) {
      throw new Error(`${fn}: row ${r} has ${row.length} cells but there are ${headers.length} headers`);
    }
  });
}

/** A GitHub-flavoured Markdown table, columns padded so the source reads as a table too. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly Cell[])[], options: MarkdownTableOptions = {}): string {
  checkRowWidths('markdownTable', headers, rows);
  const missing = options.missing ?? '—';
  const digitsOf = (c: number) => (Array.isArray(options.digits) ? options.digits[c] : options.digits);
  const align: Alignment[] = headers.map((_, c) => {
    if (options.align?.[c]) return options.align[c];
    const numeric = rows.length > 0 && rows.every((row) => typeof row[c] === 'number' || row[c] === null);
    return numeric ? 'right' : 'left';
  });
  const body = rows.map((row) =>
    row.map((cell, c) =>
      cell === null ? missing : typeof cell === 'number' ? formatNumber(cell, digitsOf(c), missing) : escapeMarkdown(cell),
    ),
  );
  const head = headers.map(escapeMarkdown);
  // Width at least 3 so every alignment marker (":-:" included) fits.
  const widths = head.map((h, c) => Math.max(3, h.length, ...body.map((row) => row[c].length)));
  const line = (cells: string[]) => `| ${cells.map((text, c) => pad(text, widths[c], align[c])).join(' | ')} |`;
  return [line(head), `| ${widths.map((w, c) => alignmentMarker(align[c], w)).join(' | ')} |`, ...body.map(line)].join('\n') + '\n';
}

/**
 * "85.3 ± 1.2". With `percent`, both values are multiplied by 100 first (accuracies are stored as fractions);
 * no % sign is added, so the column header should say "(%)".
 */
export function formatMeanStd(mean: number, std: number, digits = 1, options: { percent?: boolean } = {}): string {
  const scale = options.percent ? 100 : 1;
  const text = (v: number) => (Number.isFinite(v) ? (v * scale).toFixed(digits) : 'n/a');
  return `${text(mean)} ± ${text(std)}`;
}

// RFC 4180: quote a field holding a comma, a quote or a line break, doubling inner quotes.
function csvField(cell: Cell): string {
  if (cell === null) return '';
  const text = String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with a header line; numbers at full precision (the file is data, not display); null as an empty field. */
export function csvTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  checkRowWidths('csvTable', headers, rows);
  return [headers, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}
