// Test support for invoices: the text of a PDF as poppler's pdftotext reads it (what a person's PDF reader shows),
// and a clear failure with the fix when pdftotext is missing — these tests are never skipped.
import { spawnSync } from 'node:child_process';

/** The text of a PDF, as pdftotext reads it. */
export function pdfText(pdf: Buffer): string {
  const r = spawnSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: pdf, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`pdftotext failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** Throws the fix when pdftotext is missing. */
export function requirePdftotext(): void {
  const r = spawnSync('pdftotext', ['-v'], { encoding: 'utf8' });
  if (r.error)
    throw new Error(
      'pdftotext is missing (Debian package poppler-utils): run `make apt-deps` or `apt-get install -y poppler-utils`.',
    );
}
