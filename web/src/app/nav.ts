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
  { to: '/privacy', label: 'nav.privacy', permission: ['privacy', 'view'] },
  { to: '/campaigns', label: 'nav.campaigns', permission: ['campaigns', 'view'] },
  { to: '/admin', label: 'nav.admin', adminOnly: true },
  { to: '/account', label: 'nav.account' },
] as const;

export type NavItem = (typeof NAV_ITEMS)[number];

/**
 * The entries a user sees: administration only for administrators (the admin API refuses everyone else),
 * an entry with a `permission` only when `can` grants it (by default everything is granted).
 */
export function navItemsFor(
  user: { isAdmin: boolean },
  can: (module: 'privacy' | 'campaigns', action: 'view') => boolean = () => true,
): NavItem[] {
  return NAV_ITEMS.filter(
    (item) =>
      (user.isAdmin || !('adminOnly' in item && item.adminOnly)) &&
      (!('permission' in item) || can(item.permission[0], item.permission[1])),
  );
}
