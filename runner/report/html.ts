// HTML building blocks: escaping, the self-contained page shell (inline CSS and script, and a
// Content-Security-Policy that forbids every network fetch), small table helpers.
import { PAGE_CSS, PAGE_SCRIPT } from './assets.js';

export function esc(s: string | number): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON inside <script type="application/json">: nothing in it may close the element. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
${body}
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/** `head` and cells are HTML; `rowClass` gives a row its class (cycle edges, the failing row). */
export function table(head: readonly string[], rows: readonly string[][], cls = '', rowClass: (i: number) => string = () => ''): string {
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const tr = rows
    .map((r, i) => {
      const c = rowClass(i);
      return `<tr${c ? ` class="${c}"` : ''}>${r.join('')}</tr>`;
    })
    .join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

export function td(content: string, cls = '', attrs = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''}${attrs ? ` ${attrs}` : ''}>${content}</td>`;
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

export function code(s: string): string {
  return `<code>${esc(s)}</code>`;
}
