// CSV rows as RFC 4180 reads them (commas, quotes with "" escapes, CRLF or LF line ends), each with the line of
// the file it starts on: the bank statements operators upload, and tests reading back the CSV central writes.

/** A quoted field runs to the end of the text. */
export class UnclosedQuote extends Error {
  constructor(readonly line: number) {
    super(`Line ${line}: a quoted field is not closed.`);
  }
}

export interface CsvRow {
  /** Line of the file the row starts on (a quoted field may span lines). */
  line: number;
  cells: string[];
}

/** RFC 4180 fields: commas, quotes with "" escapes, CRLF or LF; each row with the line it starts on. */
export function parseCsvRows(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowStart = 1;
  let quoteStart = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const newline = c === '\n' || (c === '\r' && text[i + 1] !== '\n');
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (newline) line++;
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
      quoteStart = line;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push({ line: rowStart, cells: row });
      row = [];
      field = '';
      line++;
      rowStart = line;
    } else field += c;
  }
  if (quoted) throw new UnclosedQuote(quoteStart);
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push({ line: rowStart, cells: row });
  }
  return rows;
}
