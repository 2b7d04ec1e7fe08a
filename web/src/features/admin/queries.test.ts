import { describe, expect, it } from 'vitest';
import { parentOptions, roleTree, subtreeOf, type Role } from './queries';

// root
// ├── Sales
// │   ├── Account managers
// │   │   └── Key accounts
// │   └── Inside sales
// └── Marketing
const roles: Role[] = [
  { id: 'key', name: 'Key accounts', parentId: 'am' },
  { id: 'mkt', name: 'Marketing', parentId: 'root' },
  { id: 'inside', name: 'Inside sales', parentId: 'sales' },
  { id: 'root', name: 'Organization', parentId: null },
  { id: 'am', name: 'Account managers', parentId: 'sales' },
  { id: 'sales', name: 'Sales', parentId: 'root' },
];

describe('roleTree', () => {
  it('lists the root first and every role under its parent, siblings by name, with its depth', () => {
    expect(roleTree(roles).map(({ role, depth }) => [role.id, depth])).toEqual([
      ['root', 0],
      ['mkt', 1],
      ['sales', 1],
      ['am', 2],
      ['key', 3],
      ['inside', 2],
    ]);
  });

  it('leaves out roles whose parent is not in the list', () => {
    expect(roleTree([...roles, { id: 'lost', name: 'Lost', parentId: 'gone' }]).map(({ role }) => role.id)).not.toContain('lost');
    expect(roleTree([])).toEqual([]);
  });
});

describe('subtreeOf', () => {
  it('is a role and every role below it, however deep and in whatever order listed', () => {
    expect([...subtreeOf(roles, 'sales')].sort()).toEqual(['am', 'inside', 'key', 'sales']);
    expect([...subtreeOf(roles, 'am')].sort()).toEqual(['am', 'key']);
    expect([...subtreeOf(roles, 'key')]).toEqual(['key']);
    expect(subtreeOf(roles, 'root').size).toBe(roles.length);
  });
});

describe('parentOptions', () => {
  it('offers, when moving a role, every role except the role itself and those below it', () => {
    const options = parentOptions(roles, subtreeOf(roles, 'sales'));
    expect(options).toEqual([
      { value: 'root', label: 'Organization' },
      { value: 'mkt', label: '— Marketing' },
    ]);
  });

  it('indents each role by its depth', () => {
    expect(parentOptions(roles, new Set()).map((option) => option.label)).toEqual([
      'Organization',
      '— Marketing',
      '— Sales',
      '— — Account managers',
      '— — — Key accounts',
      '— — Inside sales',
    ]);
  });
});
