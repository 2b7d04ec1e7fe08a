import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import nl from './nl.json';

type Strings = { [key: string]: string | Strings };

// Each feature keeps its own strings in features/<feature>/locales/<language>.json, under a
// top-level key named after the feature, so screens can be written side by side.
const featureStrings = import.meta.glob<Strings>('../features/*/locales/*.json', { eager: true, import: 'default' });

function deepMerge(into: Strings, from: Strings): Strings {
  const merged: Strings = { ...into };
  for (const [key, value] of Object.entries(from)) {
    const existing = merged[key];
    merged[key] = typeof value === 'object' && typeof existing === 'object' ? deepMerge(existing, value) : value;
  }
  return merged;
}

function withFeatures(language: string, shared: Strings): Strings {
  let merged = shared;
  for (const [path, strings] of Object.entries(featureStrings)) {
    if (path.endsWith(`/locales/${language}.json`)) merged = deepMerge(merged, strings);
  }
  return merged;
}

export const LANGUAGES = ['en', 'nl'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORED = 'custodia.language';

/** Before sign-in: the language chosen on this device, else the browser's. After: the user's setting. */
function initialLanguage(): Language {
  const stored = localStorage.getItem(STORED);
  if (stored === 'en' || stored === 'nl') return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'nl' || primary === 'en') return primary;
  }
  return 'en';
}

export function setLanguage(language: Language): void {
  localStorage.setItem(STORED, language);
  void i18n.changeLanguage(language);
}

i18n.on('languageChanged', (language) => {
  document.documentElement.lang = language;
});

void i18n.use(initReactI18next).init({
  resources: { en: { translation: withFeatures('en', en) }, nl: { translation: withFeatures('nl', nl) } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  supportedLngs: LANGUAGES,
  interpolation: { escapeValue: false }, // React escapes
});
document.documentElement.lang = i18n.language;

export default i18n;
