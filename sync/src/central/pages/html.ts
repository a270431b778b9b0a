// Minimal HTML building: escaping and one page layout (pages refresh with a meta tag, or — the operations
// console — load their own script files from central under a strict CSP: `head` carries the tags).
export function esc(s: unknown): string {
  return String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export function layout(title: string, body: string, refreshS?: number, head = ''): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refreshS ? `<meta http-equiv="refresh" content="${refreshS}">` : ''}
<title>${esc(title)}</title>
${head}<style>
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;padding:1rem;background:#f6f7f9;color:#1c2430}
main{max-width:60rem;margin:auto}
.card{background:#fff;border-radius:12px;padding:1rem 1.25rem;margin:0 0 1rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.3rem} .muted{color:#667} .status{font-size:1.4rem;font-weight:600}
.qr svg{width:min(80vw,320px);height:auto} code{word-break:break-all}
table{border-collapse:collapse;width:100%;background:#fff} th,td{padding:.4rem .5rem;border-bottom:1px solid #e3e6ea;text-align:left;font-size:.9rem}
.fp code{font-family:ui-monospace,monospace;font-size:.75rem}
.bad{background:#ffe3e0;color:#8a1c12;font-weight:600} .warn{background:#fff4d6} .ok{color:#19692c}
</style></head><body><main>${body}</main></body></html>`;
}
