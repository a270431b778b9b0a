// The font an invoice's Chinese text is embedded in, found at run time: fontconfig's choice for Simplified
// Chinese when fc-match is there and picks a font that covers it, else the first of Debian's paths that exists.
// No font → INVOICE_FONT_MISSING, before any invoice number is taken.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CentralError } from '../errors.js';

/** A font file; `postscriptName` picks the face inside a collection (.ttc). */
export interface CjkFont {
  path: string;
  postscriptName?: string;
}

/** Debian's fonts-noto-cjk (in the Makefile's APT_PACKAGES), then other Debian CJK fonts. */
export const DEBIAN_CJK_FONTS: readonly CjkFont[] = [
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', postscriptName: 'NotoSansCJKsc-Regular' },
  {
    path: '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc',
    postscriptName: 'NotoSerifCJKsc-Regular',
  },
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', postscriptName: 'WenQuanYiZenHei' },
];

const FONTCONFIG_PATTERN = 'Noto Sans CJK SC:lang=zh-cn';

/** fontconfig's font for Simplified Chinese, or null (no fc-match, or its best match lacks zh-cn). */
function fromFontconfig(): CjkFont | null {
  try {
    const out = execFileSync(
      'fc-match',
      ['-f', '%{file}\\t%{postscriptname}\\t%{lang}', FONTCONFIG_PATTERN],
      {
        encoding: 'utf8',
        timeout: 5_000,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const [path, postscriptName, langs] = out.split('\t');
    if (!path || !postscriptName || !langs?.split('|').includes('zh-cn') || !existsSync(path)) return null;
    return /\.(ttc|otc)$/i.test(path) ? { path, postscriptName } : { path };
  } catch {
    return null;
  }
}

export interface FindCjkFontOptions {
  /** Ask fontconfig first (default true). */
  fontconfig?: boolean;
  /** Paths tried after fontconfig (default DEBIAN_CJK_FONTS). */
  candidates?: readonly CjkFont[];
}

/** The font to embed; throws INVOICE_FONT_MISSING naming what was looked for. */
export function findCjkFont(opts: FindCjkFontOptions = {}): CjkFont {
  const found =
    (opts.fontconfig === false ? null : fromFontconfig()) ??
    (opts.candidates ?? DEBIAN_CJK_FONTS).find((f) => existsSync(f.path));
  if (found) return found;
  const tried = (opts.candidates ?? DEBIAN_CJK_FONTS).map((f) => f.path).join(', ');
  throw new CentralError(
    'INVOICE_FONT_MISSING',
    `No Chinese font to render the invoice PDF with: ${opts.fontconfig === false ? '' : `fontconfig has none for "${FONTCONFIG_PATTERN}", and `}none of ${tried} exists. Install Debian's fonts-noto-cjk (make apt-deps).`,
  );
}
