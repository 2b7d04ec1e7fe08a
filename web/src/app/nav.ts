/** The main navigation, in order. Labels are i18n keys. */
export const NAV_ITEMS = [
  { to: '/search', label: 'nav.search' },
  { to: '/contacts', label: 'nav.contacts' },
  { to: '/organizations', label: 'nav.organizations' },
  { to: '/leads', label: 'nav.leads' },
  { to: '/deals', label: 'nav.deals' },
  { to: '/activities', label: 'nav.activities' },
  { to: '/notes', label: 'nav.notes' },
  { to: '/import', label: 'nav.import' },
  { to: '/recycle-bin', label: 'nav.recycleBin' },
  { to: '/admin', label: 'nav.admin' },
  { to: '/account', label: 'nav.account' },
] as const;
