import i18n from '../i18n';
import en from './locales/en.json';
import nl from './locales/nl.json';

// The shared components keep their strings here, under "components"; i18n/index.ts only gathers
// features' locale files, so they are added to its resources when the first component loads.
i18n.addResourceBundle('en', 'translation', en, true, false);
i18n.addResourceBundle('nl', 'translation', nl, true, false);
