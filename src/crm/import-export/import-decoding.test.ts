import { describe, expect, it } from 'vitest';
import { readVcards } from './contact-vcard.js';
import { declaredCharset, decodeText } from './import-decoding.js';

// Decoding and vCard reading as the bytes stream in: whatever the chunk
// boundaries (down to one byte), the text and the cards come out the same.

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function decode(bytes: Buffer, size: number, declared?: string): Promise<string> {
  let text = '';
  for await (const part of decodeText(chunks(bytes, size), declared)) text += part;
  return text;
}

async function* text(value: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < value.length; i += size) yield value.slice(i, i + size);
}

describe('decodeText', () => {
  const sample = 'Voornaam;Achternaam\r\nEliëtte;Dijk\r\nRené;IJssel € ß\r\n';

  it.each([1, 2, 3, 7, 4096])('finds UTF-8 (BOM or not), Windows-1252 and UTF-16 from the bytes in chunks of %i', async (size) => {
    const ascii = `${'a,b\r\n'.repeat(2000)}${sample}`; // the first non-ASCII byte comes thousands of bytes in
    expect(await decode(Buffer.from(sample, 'utf8'), size)).toBe(sample);
    expect(await decode(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(sample, 'utf8')]), size)).toBe(sample);
    expect(await decode(Buffer.from(new TextEncoder().encode(ascii)), size)).toBe(ascii);
    const cp1252 = Buffer.from(ascii.replace('€', '\u0080'), 'latin1');
    cp1252[cp1252.indexOf(0x80)] = 0x80; // € is 0x80 in Windows-1252
    expect(await decode(cp1252, size)).toBe(ascii);
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(sample, 'utf16le')]);
    expect(await decode(utf16le, size)).toBe(sample);
    const utf16be = Buffer.from(utf16le);
    utf16be.swap16();
    expect(await decode(utf16be, size)).toBe(sample);
    expect(await decode(Buffer.from(sample, 'utf16le'), size)).toBe(sample); // no BOM: the NULs tell
  });

  it('takes a declared charset, and refuses one it cannot decode', async () => {
    const latin = Buffer.from('Zoë', 'latin1');
    expect(await decode(latin, 2, declaredCharset('text/csv; charset="ISO-8859-1"'))).toBe('Zoë');
    expect(declaredCharset('text/csv')).toBeUndefined();
    expect(declaredCharset('text/csv;charset=UTF-8')).toBe('utf-8');
    expect(() => declaredCharset('text/csv; charset=ebcdic-klingon')).toThrow(expect.objectContaining({ code: 'unsupported_charset' }));
    expect(await decode(Buffer.alloc(0), 1)).toBe('');
    expect(await decode(Buffer.from('é', 'latin1'), 1)).toBe('é');
  });
});

describe('readVcards', () => {
  const card = [
    'BEGIN:VCARD',
    'VERSION:2.1',
    'N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=89lle;Jans=',
    'sen;;;', // a quoted-printable soft line break (2.1): the value goes on
    'TEL;CELL;PREF:06-1',
    ' 234 5678', // a folded line (3.0 and 4.0 do this; some 2.1 writers too)
    'PHOTO;ENCODING=BASE64;JPEG:' + 'A'.repeat(600_000), // one physical line far over MAX_LINE
    '  ' + 'B'.repeat(100),
    '',
    'item1.EMAIL;type=INTERNET:e@example.test',
    'item1.X-ABLabel:_$!<Work>!$_',
    'ORG:Bakker \\; Zn.\\, BV;Sales',
    'NOTE:one\\ntwo\\, three',
    'END:VCARD',
    'BEGIN:VCARD',
    'FN:No End',
  ];

  it.each([1, 5, 64, 1 << 20])('reads folded, quoted-printable and escaped values and drops photos, in chunks of %i', async (size) => {
    for (const eol of ['\r\n', '\n', '\r']) {
      const ignored = new Set<string>();
      const records = [];
      for await (const r of readVcards(text(card.join(eol) + eol, size), ignored)) records.push(r);
      expect(records).toEqual([
        {
          line: 1,
          contact: {
            input: {
              firstName: 'Janssen',
              lastName: 'Élle',
              emails: [{ value: 'e@example.test', label: 'work' }],
              phones: [{ value: '06-1234 5678', label: 'mobile' }],
            },
            organization: 'Bakker ; Zn., BV',
            note: 'one\ntwo, three',
            warnings: [],
          },
        },
        { line: 15, error: expect.objectContaining({ message: 'has no END:VCARD' }) },
      ]);
      expect([...ignored]).toEqual(['PHOTO']);
    }
  });

  it('refuses a file without a card', async () => {
    const read = async () => {
      for await (const _ of readVcards(text('hello\r\nworld\r\n', 3), new Set())) void _;
    };
    await expect(read()).rejects.toMatchObject({ code: 'invalid_vcard' });
  });
});
