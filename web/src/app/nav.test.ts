import { describe, expect, it } from 'vitest';
import { NAV_ITEMS, navItemsFor } from './nav';

describe('navItemsFor', () => {
  it('shows administration to administrators, with every other entry in order', () => {
    expect(navItemsFor({ isAdmin: true }).map((item) => item.to)).toEqual(NAV_ITEMS.map((item) => item.to));
    expect(navItemsFor({ isAdmin: true }).map((item) => item.to)).toContain('/admin');
  });

  it('hides administration from everyone else and keeps the rest as it is', () => {
    const items = navItemsFor({ isAdmin: false }).map((item) => item.to);
    expect(items).not.toContain('/admin');
    expect(items).toEqual(NAV_ITEMS.map((item) => item.to).filter((to) => to !== '/admin'));
    expect(items).toContain('/account');
  });
});

describe('navItemsFor with permissions', () => {
  it('shows campaigns only to users whose profile grants campaigns.view', () => {
    expect(navItemsFor({ isAdmin: false }, () => false).map((item) => item.to)).not.toContain('/campaigns');
    expect(navItemsFor({ isAdmin: false }, (module) => module === 'campaigns').map((item) => item.to)).toContain('/campaigns');
  });

  it('shows the privacy center only to users whose profile grants privacy.view', () => {
    expect(navItemsFor({ isAdmin: false }, () => false).map((item) => item.to)).not.toContain('/privacy');
    expect(navItemsFor({ isAdmin: false }, (module, action) => module === 'privacy' && action === 'view').map((item) => item.to)).toContain(
      '/privacy',
    );
  });
});
