/**
 * The privacy center's sections, in order: one link each in the privacy layout.
 * Other features append theirs here (with their child routes of `privacyRoute`
 * in routes.ts), e.g. data-subject requests at /privacy/requests. Labels are i18n keys.
 */
export const PRIVACY_SECTIONS: ReadonlyArray<{ to: string; label: string }> = [
  { to: '/privacy/purposes', label: 'privacy.sections.purposes' },
  { to: '/privacy/record', label: 'privacy.sections.record' },
  { to: '/privacy/dpa', label: 'privacy.sections.dpa' },
  { to: '/privacy/requests', label: 'privacyRequests.section' },
  { to: '/privacy/breaches', label: 'privacyBreaches.section' },
  { to: '/privacy/retention', label: 'privacyRetention.section' },
  { to: '/privacy/suppressions', label: 'privacySuppressions.section' },
];
