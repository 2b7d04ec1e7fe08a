import { TextDecoder } from 'node:util';
import { contactFrom, isoDate, type CsvContact, type SingleField } from './contact-csv.js';
import { CrmError } from '../common/crm.errors.js';

/**
 * vCard 2.1, 3.0 and 4.0 (RFC 2426, RFC 6350) as phones and address books
 * export them, read as the text streams in: lines unfolded (a leading space
 * or tab continues a line; in 2.1 a quoted-printable value ending in `=`
 * continues on the next), quoted-printable values decoded in their CHARSET,
 * `\,` `\;` `\n` unescaped, structured values (N, ADR, ORG) split. PHOTO,
 * LOGO, SOUND and KEY are dropped as they pass, however long: no line of a
 * file is held beyond MAX_LINE characters. Each card becomes the same
 * contact input a CSV row does, reported by the line its BEGIN:VCARD is on.
 * See docs/adr/0008-vcard-import.md for why this is not a library.
 */

const SKIPPED = new Set(['PHOTO', 'LOGO', 'SOUND', 'KEY']);
/** Properties of the file's structure, not of the person: never reported as ignored. */
const STRUCTURE = new Set([
  'BEGIN',
  'END',
  'VERSION',
  'PRODID',
  'REV',
  'UID',
  'X-ABUID',
  'X-ABLABEL',
  'X-ABADR',
  'KIND',
  'CLIENTPIDMAP',
  'SOURCE',
  'NAME',
]);
/** The longest logical line kept (a note, an address…); longer lines other than photos make their card an error. */
export const MAX_LINE = 256 * 1024;

interface LogicalLine {
  text: string;
  line: number;
  tooLong?: boolean;
}

function nameOf(text: string): string {
  return (/^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)/.exec(text)?.[1] ?? '').toUpperCase();
}

/** Physical lines in, logical lines out; photos and other binaries are dropped as they pass. */
class Unfolder {
  private lineNo = 0;
  private partial = '';
  /** The physical line being read is dropped as it comes: 'skip' (part of a photo), 'long' (too long to keep). */
  private dropping: 'skip' | 'long' | null = null;
  private pendingCR = false;
  private current: (LogicalLine & { qp: boolean }) | null = null;
  private skipping = false;
  readonly out: LogicalLine[] = [];

  feed(chunk: string): void {
    let i = this.pendingCR && chunk.startsWith('\n') ? 1 : 0;
    this.pendingCR = false;
    while (i < chunk.length) {
      const cr = chunk.indexOf('\r', i);
      const lf = chunk.indexOf('\n', i);
      const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      if (end < 0) {
        this.append(chunk.slice(i));
        break;
      }
      this.append(chunk.slice(i, end));
      this.endPhysical();
      if (chunk[end] === '\r' && end + 1 === chunk.length) this.pendingCR = true;
      i = chunk[end] === '\r' && chunk[end + 1] === '\n' ? end + 2 : end + 1;
    }
  }

  end(): void {
    if (this.partial || this.dropping) this.endPhysical();
    this.flush();
  }

  private append(text: string): void {
    if (this.dropping) return;
    this.partial += text;
    if (this.partial.length <= MAX_LINE) return;
    const continuation = this.partial[0] === ' ' || this.partial[0] === '\t';
    this.dropping = (continuation && this.skipping) || (!continuation && SKIPPED.has(nameOf(this.partial))) ? 'skip' : 'long';
    this.partial = continuation ? ' ' : this.partial.slice(0, 100);
  }

  private endPhysical(): void {
    this.lineNo++;
    const text = this.partial;
    const dropping = this.dropping;
    this.partial = '';
    this.dropping = null;
    if (dropping === 'long') {
      this.flush();
      this.out.push({ text: '', line: this.lineNo, tooLong: true });
      this.skipping = true;
      return;
    }
    const continuation = text[0] === ' ' || text[0] === '\t';
    if (dropping === 'skip' && continuation) return;
    if (text === '') {
      this.flush();
      return;
    }
    if (this.current?.qp && this.current.text.endsWith('=') && !this.skipping) {
      this.current.text = this.current.text.slice(0, -1) + text; // quoted-printable soft line break
      return this.checkLength();
    }
    if (continuation) {
      if (!this.skipping && this.current) {
        this.current.text += text.slice(1);
        this.checkLength();
      }
      return;
    }
    this.flush();
    this.skipping = dropping === 'skip' || SKIPPED.has(nameOf(text));
    if (this.skipping) {
      this.out.push({ text: `${nameOf(text)}:`, line: this.lineNo });
      return;
    }
    const head = text.slice(0, text.indexOf(':') < 0 ? text.length : text.indexOf(':'));
    this.current = { text, line: this.lineNo, qp: /(^|;)(ENCODING=)?QUOTED-PRINTABLE(;|$)/i.test(head) };
  }

  private checkLength(): void {
    if (this.current && this.current.text.length > MAX_LINE) {
      this.out.push({ text: '', line: this.current.line, tooLong: true });
      this.current = null;
      this.skipping = true;
    }
  }

  private flush(): void {
    if (this.current) this.out.push(this.current);
    this.current = null;
  }
}

interface Property {
  group: string | null;
  name: string;
  params: Map<string, string[]>;
  value: string;
}

/** `[group.]NAME;PARAM=a,b;BARE:value`; bare 2.1 parameters (`TEL;CELL`) count as TYPE. */
function parseProperty(text: string): Property | null {
  let i = 0;
  let quoted = false;
  while (i < text.length && (quoted || (text[i] !== ':' && text[i] !== ';'))) i++;
  const fullName = text.slice(0, i);
  const dot = fullName.lastIndexOf('.');
  const params = new Map<string, string[]>();
  while (text[i] === ';') {
    const start = ++i;
    quoted = false;
    while (i < text.length && (quoted || (text[i] !== ':' && text[i] !== ';'))) {
      if (text[i] === '"') quoted = !quoted;
      i++;
    }
    const param = text.slice(start, i);
    const eq = param.indexOf('=');
    const key = eq < 0 ? (/^(QUOTED-PRINTABLE|BASE64|8BIT|7BIT)$/i.test(param) ? 'ENCODING' : 'TYPE') : param.slice(0, eq).toUpperCase();
    const values = (eq < 0 ? param : param.slice(eq + 1)).split(',').map((v) => v.replace(/^"|"$/g, '').trim());
    params.set(key, [...(params.get(key) ?? []), ...values]);
  }
  if (text[i] !== ':') return null;
  return {
    group: dot < 0 ? null : fullName.slice(0, dot).toLowerCase(),
    name: fullName.slice(dot + 1).toUpperCase(),
    params,
    value: text.slice(i + 1),
  };
}

function decodeQuotedPrintable(value: string, charset: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value[i] === '=' ? /^[0-9A-Fa-f]{2}/.exec(value.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else bytes.push(...Buffer.from(value[i]!, 'utf8'));
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset);
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  return decoder.decode(Uint8Array.from(bytes));
}

/** The value's text: decoded (quoted-printable in its charset) and split on unescaped `;` (structured values) with escapes undone. */
function components(p: Property): string[] {
  const encoding = (p.params.get('ENCODING')?.[0] ?? '').toUpperCase();
  const raw = encoding === 'QUOTED-PRINTABLE' ? decodeQuotedPrintable(p.value, p.params.get('CHARSET')?.[0] ?? 'utf-8') : p.value;
  const parts: string[] = [];
  let part = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\' && i + 1 < raw.length) {
      const next = raw[++i]!;
      part += next === 'n' || next === 'N' ? '\n' : next;
    } else if (ch === ';') {
      parts.push(part);
      part = '';
    } else part += ch;
  }
  parts.push(part);
  return parts.map((v) => v.replace(/\r\n?/g, '\n').trim());
}

function textOf(p: Property): string {
  return components(p).join(';').trim();
}

function typesOf(p: Property): string[] {
  return (p.params.get('TYPE') ?? []).map((t) => t.toLowerCase());
}

function isPreferred(p: Property): boolean {
  return typesOf(p).includes('pref') || p.params.has('PREF');
}

const PHONE_LABELS: Array<[string[], string]> = [
  [['fax'], 'fax'],
  [['cell', 'iphone', 'mobile'], 'mobile'],
  [['pager'], 'pager'],
  [['work'], 'work'],
  [['home'], 'home'],
  [['main'], 'main'],
  [['car'], 'car'],
  [['other'], 'other'],
];

function labelOf(p: Property, kind: 'email' | 'phone', appleLabels: Map<string, string>): string | null {
  // Apple names a custom or standard label on the property's group: item1.X-ABLabel:_$!<Mobile>!$_
  const apple = p.group ? appleLabels.get(p.group) : undefined;
  if (apple) return apple;
  const types = typesOf(p);
  if (kind === 'phone') return PHONE_LABELS.find(([names]) => names.some((n) => types.includes(n)))?.[1] ?? null;
  return types.find((t) => t === 'work' || t === 'home' || t === 'other') ?? null;
}

/** A card's properties, gathered between BEGIN:VCARD and END:VCARD. */
class Card {
  readonly properties: Property[] = [];
  tooLong = false;
  constructor(readonly line: number) {}

  toContact(ignored: Set<string>): CsvContact {
    if (this.tooLong) throw new CrmError('invalid_field', `has a line longer than ${MAX_LINE} characters`);
    const appleLabels = new Map<string, string>();
    for (const p of this.properties) {
      if (p.name === 'X-ABLABEL' && p.group)
        appleLabels.set(
          p.group,
          textOf(p)
            .replace(/^_\$!<(.*)>!\$_$/, '$1')
            .toLowerCase()
            .slice(0, 50),
        );
    }
    const one: Partial<Record<SingleField, string>> = {};
    /** The first non-empty value of a field wins. */
    const set = (field: SingleField, value: string | undefined) => {
      if (value && one[field] === undefined) one[field] = value;
    };
    const emails: Array<{ value: string; label: string | null; pref: boolean }> = [];
    const phones: Array<{ value: string; label: string | null; pref: boolean }> = [];
    const addresses: Array<{ parts: string[]; rank: number }> = [];
    const notes: string[] = [];
    const tags: string[] = [];
    for (const p of this.properties) {
      switch (p.name) {
        case 'N': {
          const [family, given, additional] = components(p).map((c) => c.replace(/\s*,\s*/g, ' '));
          set('lastName', family);
          set('firstName', given);
          set('middleName', additional);
          break;
        }
        case 'FN':
          set('name', textOf(p));
          break;
        case 'EMAIL': {
          const value = textOf(p).replace(/^mailto:/i, '');
          if (value) emails.push({ value, label: labelOf(p, 'email', appleLabels), pref: isPreferred(p) });
          break;
        }
        case 'TEL': {
          const value = textOf(p).replace(/^tel:/i, '');
          if (value) phones.push({ value, label: labelOf(p, 'phone', appleLabels), pref: isPreferred(p) });
          break;
        }
        case 'ORG':
          set('organization', components(p)[0]);
          break;
        case 'TITLE':
          set('jobTitle', textOf(p));
          break;
        case 'ADR': {
          const types = typesOf(p);
          addresses.push({ parts: components(p), rank: isPreferred(p) ? 0 : types.includes('work') ? 1 : types.includes('home') ? 2 : 3 });
          break;
        }
        case 'BDAY': {
          if ((p.params.get('VALUE')?.[0] ?? '').toLowerCase() === 'text') {
            ignored.add('BDAY');
            break;
          }
          const value = textOf(p);
          // Apple writes a birthday without its year in the year it names as omitted.
          const omitted = p.params.get('X-APPLE-OMIT-YEAR')?.[0];
          set(
            'birthday',
            omitted && value.startsWith(omitted)
              ? `--${value.slice(omitted.length).replace(/^-/, '').replace('-', '').slice(0, 4)}`
              : value,
          );
          break;
        }
        case 'NOTE':
          if (textOf(p)) notes.push(components(p).join(';'));
          break;
        case 'CATEGORIES':
          tags.push(...textOf(p).split(','));
          break;
        case 'LANG':
          set('language', textOf(p));
          break;
        default:
          if (!STRUCTURE.has(p.name)) ignored.add(p.name);
      }
    }
    if (notes.length > 0) one.note = notes.join('\n\n');
    if (tags.length > 0)
      one.tags = tags
        .map((t) => t.trim())
        .filter(Boolean)
        .join(';');
    const birthday = one.birthday ? isoDate(one.birthday) : null;
    if (birthday) one.birthday = birthday;
    else delete one.birthday;
    const byPref = <T extends { pref: boolean }>(list: T[]) => [...list.filter((v) => v.pref), ...list.filter((v) => !v.pref)];
    const adr = addresses.sort((a, b) => a.rank - b.rank)[0]?.parts;
    const parts: Partial<Record<'street' | 'city' | 'region' | 'postalCode' | 'country', string>> | undefined = adr ? {} : undefined;
    if (adr && parts) {
      const fields = {
        street: [adr[2], adr[1]].filter(Boolean).join(', ').replace(/\n+/g, ', '),
        city: adr[3],
        region: adr[4],
        postalCode: adr[5],
        country: adr[6],
      };
      for (const [key, value] of Object.entries(fields)) if (value) parts[key as keyof typeof fields] = value;
    }
    return contactFrom(
      one,
      byPref(emails).map(({ value, label }) => ({ value, label })),
      byPref(phones).map(({ value, label }) => ({ value, label })),
      parts,
    );
  }
}

/** A record read from a file: a contact, or the reason its row or card cannot be one (`unreadable`: the rest of the file cannot be read). */
export type ReadRecord = { line: number; contact: CsvContact } | { line: number; error: unknown; unreadable?: true };

/**
 * The cards of a vCard file as contacts, one at a time; `ignored` collects
 * the property names that were not used. A file without a single
 * BEGIN:VCARD is refused as a whole.
 */
export async function* readVcards(text: AsyncIterable<string>, ignored: Set<string>): AsyncGenerator<ReadRecord> {
  const unfolder = new Unfolder();
  let card: Card | null = null;
  let cards = 0;
  const take = function* (): Generator<ReadRecord> {
    for (const logical of unfolder.out.splice(0)) {
      if (logical.tooLong) {
        if (card) card.tooLong = true;
        continue;
      }
      const p = parseProperty(logical.text);
      if (!p) continue;
      if (p.name === 'BEGIN' && p.value.trim().toUpperCase() === 'VCARD') {
        if (card) yield { line: card.line, error: new CrmError('invalid_field', 'has no END:VCARD') };
        card = new Card(logical.line);
        cards++;
      } else if (p.name === 'END' && p.value.trim().toUpperCase() === 'VCARD' && card) {
        const done: Card = card;
        card = null;
        try {
          yield { line: done.line, contact: done.toContact(ignored) };
        } catch (error) {
          yield { line: done.line, error };
        }
      } else if (card) {
        if (SKIPPED.has(p.name)) ignored.add(p.name);
        else card.properties.push(p);
      }
    }
  };
  for await (const chunk of text) {
    unfolder.feed(chunk);
    yield* take();
  }
  unfolder.end();
  yield* take();
  if (card) yield { line: (card as Card).line, error: new CrmError('invalid_field', 'has no END:VCARD') };
  if (cards === 0) throw new CrmError('invalid_vcard', 'the file holds no vCard (BEGIN:VCARD … END:VCARD)');
}
