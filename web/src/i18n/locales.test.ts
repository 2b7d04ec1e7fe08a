import { describe, expect, it } from 'vitest';

// Every strings file of the app: the shared ones, each feature's and the shared components'.
// Gathered by glob, so a feature added later is checked without touching this test.
type Strings = { [key: string]: unknown };
const files = {
  ...import.meta.glob<Strings>('./*.json', { eager: true, import: 'default' }),
  ...import.meta.glob<Strings>('../components/locales/*.json', { eager: true, import: 'default' }),
  ...import.meta.glob<Strings>('../features/*/locales/*.json', { eager: true, import: 'default' }),
};

const LANGUAGES = ['en', 'nl'] as const;

/** `{ a: { b: 'x' } }` → `{ 'a.b': 'x' }`; anything that is not an object is a leaf. */
function flatten(strings: Strings, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(strings)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, leaf] of flatten(value as Strings, path)) out.set(inner, leaf);
    } else {
      out.set(path, value);
    }
  }
  return out;
}

/** The `{{name}}` placeholders of a string, sorted, each once (formats such as `{{n, number}}` count by name). */
function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\{\{\s*([^},\s]+)[^}]*\}\}/g)].map((match) => match[1] ?? ''))].sort();
}

/** Strings directories: `./` (the shared files), `../components/locales/`, `../features/x/locales/`. */
const directories = [...new Set(Object.keys(files).map((path) => path.slice(0, path.lastIndexOf('/') + 1)))].sort();

function stringsOf(directory: string, language: string): Map<string, unknown> {
  const strings = files[`${directory}${language}.json`];
  if (!strings) throw new Error(`${directory}${language}.json is missing`);
  return flatten(strings);
}

describe('strings files', () => {
  it('are found: the shared ones, the components’ and several features’', () => {
    expect(directories).toContain('./');
    expect(directories).toContain('../components/locales/');
    expect(directories.filter((directory) => directory.startsWith('../features/')).length).toBeGreaterThanOrEqual(10);
  });

  it('hold only JSON files named after a language', () => {
    for (const path of Object.keys(files)) expect(LANGUAGES.map((language) => `${language}.json`)).toContain(path.split('/').pop());
  });
});

describe.each(directories)('strings in %s', (directory) => {
  const en = stringsOf(directory, 'en');
  const nl = stringsOf(directory, 'nl');

  it('has the same keys in English and Dutch', () => {
    const onlyEnglish = [...en.keys()].filter((key) => !nl.has(key));
    const onlyDutch = [...nl.keys()].filter((key) => !en.has(key));
    expect({ onlyEnglish, onlyDutch }).toEqual({ onlyEnglish: [], onlyDutch: [] });
    expect(en.size).toBeGreaterThan(0);
  });

  it('has no empty or non-string values', () => {
    for (const [language, strings] of [
      ['en', en],
      ['nl', nl],
    ] as const) {
      const bad = [...strings].filter(([, value]) => typeof value !== 'string' || value.trim() === '').map(([key]) => `${language}:${key}`);
      expect(bad).toEqual([]);
    }
  });

  it('uses the same {{placeholders}} in both languages', () => {
    const mismatched = [...en]
      .filter(([key, value]) => typeof value === 'string' && typeof nl.get(key) === 'string')
      .filter(([key, value]) => placeholders(value as string).join() !== placeholders(nl.get(key) as string).join())
      .map(([key, value]) => ({ key, en: value, nl: nl.get(key) }));
    expect(mismatched).toEqual([]);
  });

  if (directory.startsWith('../features/')) {
    it('keeps its strings under one top-level key named after the feature', () => {
      const feature = directory.split('/')[2] ?? '';
      const key = feature.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
      for (const language of LANGUAGES) expect(Object.keys(files[`${directory}${language}.json`] ?? {})).toEqual([key]);
    });
  }
});

describe('placeholders()', () => {
  it('finds names, ignores formats and order', () => {
    expect(placeholders('{{count}} of {{ total }} ({{when, datetime}})')).toEqual(['count', 'total', 'when']);
    expect(placeholders('no placeholder')).toEqual([]);
    expect(placeholders('{{b}} {{a}} {{b}}')).toEqual(['a', 'b']);
  });
});
