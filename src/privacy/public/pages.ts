import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Language } from '../../db/schema.js';

/**
 * The small server-rendered pages a data subject reaches without an account
 * (confirm a sign-up, withdraw a consent, the sign-up form; issue 17's request
 * form): one layout in the tenant's name, English or Dutch, no script and no
 * third-party asset. Values are escaped by the `html` tag, so a page cannot
 * forget to; the one inline style sheet is allowed by its hash in the page's
 * own Content-Security-Policy (the server's default is `default-src 'none'`),
 * and forms may only post back to this origin.
 */

export type PageLanguage = Language;
export const PAGE_LANGUAGES: readonly PageLanguage[] = ['en', 'nl'];

/** A piece of HTML that is already safe: what `html` returns, and nothing else should make one. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolated = string | number | Html | readonly Html[] | null | undefined | false;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function piece(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map((v: Html) => v.value).join('');
  return escapeHtml(String(value));
}

/** HTML from a template: every interpolated string is escaped, `Html` values are inserted as they are. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += piece(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Text with line breaks as paragraphs (a privacy notice as its author wrote it). */
export function paragraphs(text: string, className?: string): Html {
  const blocks = text
    .split(/\r?\n\s*\r?\n/)
    .map((b) => b.trim())
    .filter(Boolean);
  return html`<div${className ? html` class="${className}"` : ''}>${blocks.map((b) => html`<p>${b}</p>`)}</div>`;
}

// Readable on any screen, contrast above 7:1 for text, a visible focus ring
// on every control, and the honeypot moved off-screen (not display:none, which
// some bots skip) while hidden from assistive technology by its attributes.
const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;line-height:1.5;color:#1a1a1a;background:#f5f5f4}
body{margin:0;padding:1.5rem 1rem}
.page{max-width:36rem;margin:0 auto;background:#fff;border:1px solid #d6d3d1;border-radius:.5rem;padding:1.5rem}
.tenant{margin:0 0 .25rem;font-weight:600;color:#44403c}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.125rem;margin:1.25rem 0 .5rem}
.notice p{margin:.5rem 0}
.notice{border-left:4px solid #a8a29e;padding:.25rem 0 .25rem 1rem;margin:1rem 0;color:#292524}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=email],input[type=text],select{box-sizing:border-box;width:100%;font:inherit;padding:.5rem;border:1px solid #57534e;border-radius:.25rem;background:#fff;color:inherit}
button{font:inherit;font-weight:600;margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:.25rem;background:#1d4ed8;color:#fff;cursor:pointer}
button:hover{background:#1e40af}
a{color:#1d4ed8}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.trap{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}
.small{font-size:.875rem;color:#44403c}
`.trim();

// Built outside any template the formatter may re-indent: the hash covers the element's exact text.
const STYLE_ELEMENT = new Html(`<style>${STYLE}</style>`);
const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}`;

/** The policy of every public page: its own style sheet, forms to this origin only, nothing else. */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src '${STYLE_HASH}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * The page's language: `?lang=` first, then the language the person chose
 * before (a sign-up's), then the browser's Accept-Language, else English.
 */
export function pageLanguage(request: FastifyRequest, chosen?: PageLanguage | null): PageLanguage {
  const asked = (request.query as { lang?: unknown } | undefined)?.lang ?? (request.body as { lang?: unknown } | undefined)?.lang;
  if (typeof asked === 'string' && (PAGE_LANGUAGES as readonly string[]).includes(asked)) return asked as PageLanguage;
  if (chosen) return chosen;
  return acceptedLanguage(request.headers['accept-language']);
}

/** The first of en/nl in an Accept-Language header by its q-values; English when neither is named. */
export function acceptedLanguage(header: string | undefined): PageLanguage {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { lang: tag.trim().toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  const found = ranked.find((r) => (PAGE_LANGUAGES as readonly string[]).includes(r.lang ?? ''));
  return (found?.lang as PageLanguage | undefined) ?? 'en';
}

export interface PublicPage {
  lang: PageLanguage;
  /** Shown above the heading; null when the tenant is unknown (the page then names nobody). */
  tenantName: string | null;
  /** The one h1, also the document title. */
  title: string;
  body: Html;
  /** 200 unless said otherwise (e.g. 410 for a link that no longer works). */
  status?: number;
}

export function renderPage(page: PublicPage): string {
  const title = page.tenantName ? `${page.title} · ${page.tenantName}` : page.title;
  return `<!doctype html>\n${
    html`<html lang="${page.lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <title>${title}</title>
        ${STYLE_ELEMENT}
      </head>
      <body>
        <main class="page">
          ${page.tenantName ? html`<p class="tenant">${page.tenantName}</p>` : ''}
          <h1>${page.title}</h1>
          ${page.body}
        </main>
      </body>
    </html>`.value
  }\n`;
}

/** Answers with a public page and the headers it needs. */
export function sendPage(reply: FastifyReply, page: PublicPage): FastifyReply {
  return reply
    .status(page.status ?? 200)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(renderPage(page));
}

/** Whether the caller reads pages: a browser, whose Accept names text/html. */
export function acceptsPage(request: FastifyRequest): boolean {
  return /text\/html/i.test(request.headers.accept ?? '');
}

/** Whether the caller wants JSON (an API client) rather than a page (a browser or mail client). */
export function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /application\/(problem\+)?json/i.test(accept) && !/text\/html/i.test(accept);
}

// ------------------------------------------------------------------ forms

export function hiddenField(name: string, value: string): Html {
  return html`<input type="hidden" name="${name}" value="${value}" />`;
}

export function textField(field: {
  id: string;
  name: string;
  label: string;
  type?: 'text' | 'email';
  required?: boolean;
  autocomplete?: string;
  maxLength?: number;
}): Html {
  return html`<label for="${field.id}">${field.label}</label>
    <input
      id="${field.id}"
      name="${field.name}"
      type="${field.type ?? 'text'}"
      ${field.required ? html` required` : ''}${
        field.autocomplete ? html` autocomplete="${field.autocomplete}"` : ''
      }${field.maxLength ? html` maxlength="${field.maxLength}"` : ''}
    />`;
}

/** A field for bots only: off-screen, out of the tab order and hidden from assistive technology. */
export function honeypotField(name: string, label: string): Html {
  return html`<div class="trap" aria-hidden="true">
    <label for="hp-${name}">${label}</label><input id="hp-${name}" name="${name}" type="text" tabindex="-1" autocomplete="off" />
  </div>`;
}

export function postForm(action: string, fields: Html | readonly Html[], button: string): Html {
  return html`<form method="post" action="${action}">${fields}<button type="submit">${button}</button></form>`;
}

// ------------------------------------------------------------------ bodies

/**
 * Form bodies for the public routes, which take them from plain HTML forms and
 * from mail clients' RFC 8058 one-click POSTs (urlencoded or multipart/form-data):
 * text fields only, the first value of each name.
 */
export function parseUrlEncoded(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body)) if (!Object.hasOwn(out, key)) out[key] = value;
  return out;
}

export function parseMultipart(body: string, contentType: string): Record<string, string> {
  const boundary = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw Object.assign(new Error('multipart body without a boundary'), { statusCode: 400 });
  const out: Record<string, string> = {};
  for (const part of body.split(`--${marker}`).slice(1)) {
    if (part.startsWith('--')) break;
    const end = part.indexOf('\r\n\r\n');
    if (end === -1) continue;
    const head = part.slice(0, end);
    const name = /content-disposition:\s*form-data;[^\r\n]*\bname="([^"]*)"/i.exec(head)?.[1];
    if (!name || /filename=/i.test(head) || Object.hasOwn(out, name)) continue;
    out[name] = part.slice(end + 4).replace(/\r\n$/, '');
  }
  return out;
}

/** Adds the two form parsers to a Fastify scope (bounded: public forms are small). */
export function acceptForms(scope: FastifyInstance): void {
  const bodyLimit = 16 * 1024;
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    done(null, parseUrlEncoded(body as string));
  });
  scope.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    try {
      done(null, parseMultipart(body as string, String(request.headers['content-type'] ?? '')));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
