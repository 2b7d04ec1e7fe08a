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
  { to: '/admin', label: 'nav.admin', adminOnly: true },
  { to: '/account', label: 'nav.account' },
] as const;

export type NavItem = (typeof NAV_ITEMS)[number];

/** The entries a user sees: administration only for administrators (the admin API refuses everyone else). */
export function navItemsFor(user: { isAdmin: boolean }): NavItem[] {
  return NAV_ITEMS.filter((item) => user.isAdmin || !('adminOnly' in item && item.adminOnly));
}
