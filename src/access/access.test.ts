import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { crmSession, memberSession, type CrmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';
import { accessFor, type AccessSnapshot, type ProfileRules } from './policy.js';

const t = useTestServer();

const password = () => `Pw-${randomBytes(9).toString('hex')}`;

/** A user created by the admin and signed in, with JSON verbs acting as them. */
const member = (admin: CrmSession, body: { roleId?: string; profileId?: string; name?: string }) => memberSession(t, admin, body);

const ids = (res: LightMyRequestResponse) => (res.json().items as Array<{ id: string }>).map((i) => i.id).sort();

describe('access control, as an admin sets it up', () => {
  it('keeps reps to their own contacts, lets the manager see both, and hides phones from reps', async () => {
    const admin = await crmSession(t);
    const manager = (await admin.post('/api/v1/roles', { name: 'Sales manager' })).json();
    const rep = (await admin.post('/api/v1/roles', { name: 'Sales rep', parentId: manager.id })).json();
    expect(rep.parentId).toBe(manager.id);
    const profile = await admin.post('/api/v1/profiles', {
      name: 'Rep',
      permissions: { contacts: { view: true, create: true, edit: true }, organizations: { view: true } },
      fields: { contacts: { phones: 'hidden' } },
    });
    expect(profile.statusCode, profile.body).toBe(201);
    const defaults = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/sharing/defaults',
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { contacts: 'private' },
    });
    expect(defaults.json()).toMatchObject({ contacts: 'private', deals: 'public_write' });
    const profiles = (await admin.get('/api/v1/profiles')).json().items as Array<{ id: string; name: string }>;
    const standard = profiles.find((p) => p.name === 'Standard')!;

    const boss = await member(admin, { roleId: manager.id, profileId: standard.id, name: 'Manager' });
    const ann = await member(admin, { roleId: rep.id, profileId: profile.json().id, name: 'Ann' });
    const bob = await member(admin, { roleId: rep.id, profileId: profile.json().id, name: 'Bob' });

    const annsContact = await ann.post('/api/v1/contacts', { firstName: 'Client', lastName: 'OfAnn', emails: ['c.ann@example.test'] });
    expect(annsContact.statusCode, annsContact.body).toBe(201);
    expect(annsContact.json()).not.toHaveProperty('phones');
    const withPhone = await ann.post('/api/v1/contacts', { firstName: 'X', phones: ['+31 20 000 0000'] });
    expect(withPhone.statusCode).toBe(403);
    expect(withPhone.json().code).toBe('field_not_writable');
    const bobsContact = (
      await admin.post('/api/v1/contacts', { firstName: 'Client', lastName: 'OfBob', phones: ['+31 20 123 4567'], ownerId: bob.id })
    ).json();
    const annsId = annsContact.json().id as string;

    // Each rep sees only their own.
    expect((await ann.get(`/api/v1/contacts/${bobsContact.id}`)).statusCode).toBe(404);
    expect(ids(await ann.get('/api/v1/contacts'))).toEqual([annsId]);
    expect(ids(await bob.get('/api/v1/contacts'))).toEqual([bobsContact.id]);
    expect((await bob.get(`/api/v1/contacts?email=c.ann@example.test`)).json().items).toEqual([]);
    expect((await bob.get('/api/v1/search?q=client')).json().items.map((h: { id: string }) => h.id)).toEqual([bobsContact.id]);
    expect((await bob.patch(`/api/v1/contacts/${annsId}`, { firstName: 'Mine' })).statusCode).toBe(404);
    // The manager sees both, phones included.
    expect(ids(await boss.get('/api/v1/contacts'))).toEqual([annsId, bobsContact.id].sort());
    expect((await boss.get(`/api/v1/contacts/${bobsContact.id}`)).json().phones).toEqual([{ value: '+31 20 123 4567', label: null }]);
    // Reps never see phones: not in a read, a list, an export or a search.
    const bobReads = (await bob.get(`/api/v1/contacts/${bobsContact.id}`)).json();
    expect(bobReads).toMatchObject({ firstName: 'Client' });
    expect(bobReads).not.toHaveProperty('phones');
    expect((await bob.get('/api/v1/contacts')).json().items[0]).not.toHaveProperty('phones');
    expect((await bob.get('/api/v1/contacts?phone=+31201234567')).statusCode).toBe(403);
    expect((await bob.patch(`/api/v1/contacts/${bobsContact.id}`, { phones: [] })).json().code).toBe('field_not_writable');
    expect((await bob.patch(`/api/v1/contacts/${bobsContact.id}`, { jobTitle: 'Buyer' })).json()).toMatchObject({ jobTitle: 'Buyer' });
    expect((await boss.get(`/api/v1/contacts/${bobsContact.id}`)).json().phones).toHaveLength(1);
    // No delete, no export for reps.
    const del = await bob.del(`/api/v1/contacts/${bobsContact.id}`);
    expect(del.statusCode).toBe(403);
    expect(del.json().code).toBe('permission_denied');
    expect((await bob.get('/api/v1/exports/contacts.csv')).statusCode).toBe(403);
    const bossExport = (await boss.get('/api/v1/exports/contacts.csv')).body.replace(/^\uFEFF/, '').split('\r\n');
    expect(bossExport[0]).toContain(',phone,');
    expect(bossExport.filter(Boolean)).toHaveLength(3);
    // Reps cannot change the model, nor see deals their profile does not grant.
    expect((await bob.post('/api/v1/roles', { name: 'Mine' })).statusCode).toBe(403);
    expect((await bob.get('/api/v1/deals')).statusCode).toBe(403);
  });

  it('takes changes into force on the next request: defaults, sharing rules and groups', async () => {
    const admin = await crmSession(t);
    const east = (await admin.post('/api/v1/roles', { name: 'East' })).json();
    const west = (await admin.post('/api/v1/roles', { name: 'West' })).json();
    const profile = (
      await admin.post('/api/v1/profiles', { name: 'Seller', permissions: { contacts: { view: true, create: true, edit: true } } })
    ).json();
    const e = await member(admin, { roleId: east.id, profileId: profile.id });
    const w = await member(admin, { roleId: west.id, profileId: profile.id });
    const g = await member(admin, { roleId: west.id, profileId: profile.id });
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/sharing/defaults',
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { contacts: 'private' },
    });
    const eastern = (await e.post('/api/v1/contacts', { firstName: 'Eastern' })).json();
    expect((await w.get(`/api/v1/contacts/${eastern.id}`)).statusCode).toBe(404);

    // Siblings do not see each other; a rule sharing East's records with West to read does it.
    const rule = (
      await admin.post('/api/v1/sharing/rules', {
        module: 'contacts',
        from: { kind: 'role', id: east.id },
        to: { kind: 'role', id: west.id },
        access: 'read',
      })
    ).json();
    expect((await w.get(`/api/v1/contacts/${eastern.id}`)).statusCode).toBe(200);
    const change = await w.patch(`/api/v1/contacts/${eastern.id}`, { firstName: 'Changed' });
    expect(change.statusCode).toBe(403);
    expect((await admin.del(`/api/v1/sharing/rules/${rule.id}`)).statusCode).toBe(204);
    expect((await w.get(`/api/v1/contacts/${eastern.id}`)).statusCode).toBe(404);

    // A group as the target of a write rule reaches only its members.
    const team = (await admin.post('/api/v1/groups', { name: 'Key accounts', memberIds: [g.id] })).json();
    expect(team.memberIds).toEqual([g.id]);
    await admin.post('/api/v1/sharing/rules', {
      module: 'contacts',
      from: { kind: 'role', id: east.id },
      to: { kind: 'group', id: team.id },
      access: 'write',
    });
    expect((await g.patch(`/api/v1/contacts/${eastern.id}`, { firstName: 'By the group' })).statusCode).toBe(200);
    expect((await w.get(`/api/v1/contacts/${eastern.id}`)).statusCode).toBe(404);

    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/sharing/defaults',
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { contacts: 'public_read' },
    });
    expect((await w.get(`/api/v1/contacts/${eastern.id}`)).json().firstName).toBe('By the group');
    expect((await w.patch(`/api/v1/contacts/${eastern.id}`, { firstName: 'W' })).statusCode).toBe(403);
  });

  it('honours a change another app node made, on the next read by id (the version travels with the record)', async () => {
    const admin = await crmSession(t);
    const profile = (await admin.post('/api/v1/profiles', { name: 'Viewer', permissions: { contacts: { view: true } } })).json();
    const viewer = await member(admin, { profileId: profile.id });
    const contact = (await admin.post('/api/v1/contacts', { firstName: 'Watched', phones: ['+31 20 555 0101'] })).json();
    expect((await viewer.get(`/api/v1/contacts/${contact.id}`)).json().phones).toHaveLength(1); // this process now holds the snapshot
    const db = t.handle.db;
    const changeElsewhere = async (work: () => Promise<unknown>) => {
      await work();
      await sql`update tenants set access_version = access_version + 1 where id = ${admin.tt.tenant.id}`.execute(db);
    };

    // Another node hides phones from the profile: the next read no longer has them.
    await changeElsewhere(() =>
      sql`update profiles set fields = ${JSON.stringify({ contacts: { phones: 'hidden' } })}::jsonb where id = ${profile.id}`.execute(db),
    );
    const hidden = await viewer.get(`/api/v1/contacts/${contact.id}`);
    expect(hidden.statusCode).toBe(200);
    expect(hidden.json()).not.toHaveProperty('phones');
    // It takes the view permission away: 403, not the record.
    await changeElsewhere(() =>
      sql`update profiles set permissions = ${JSON.stringify({ contacts: {} })}::jsonb where id = ${profile.id}`.execute(db),
    );
    const denied = await viewer.get(`/api/v1/contacts/${contact.id}`);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('permission_denied');
    expect(denied.body).not.toContain('Watched');
    // It gives the permission back but makes contacts private: the admin's record is out of reach.
    await changeElsewhere(async () => {
      await sql`update profiles set permissions = ${JSON.stringify({ contacts: { view: true } })}::jsonb where id = ${profile.id}`.execute(
        db,
      );
      await sql`insert into sharing_defaults (tenant_id, module, level) values (${admin.tt.tenant.id}, 'contacts', 'private')
        on conflict (tenant_id, module) do update set level = excluded.level`.execute(db);
    });
    expect((await viewer.get(`/api/v1/contacts/${contact.id}`)).statusCode).toBe(404);
  });

  it('honours a change another app node made, on the next list page (the version travels with the page)', async () => {
    const admin = await crmSession(t);
    const profile = (await admin.post('/api/v1/profiles', { name: 'Lister', permissions: { contacts: { view: true } } })).json();
    const viewer = await member(admin, { profileId: profile.id });
    const contact = (await admin.post('/api/v1/contacts', { firstName: 'Listed', phones: ['+31 20 555 0102'] })).json();
    const page = async () => viewer.get('/api/v1/contacts?limit=50');
    expect((await page()).json().items.map((c: { id: string; phones?: unknown[] }) => [c.id, c.phones?.length])).toEqual([[contact.id, 1]]); // the snapshot is held
    const db = t.handle.db;
    const changeElsewhere = async (work: () => Promise<unknown>) => {
      await work();
      await sql`update tenants set access_version = access_version + 1 where id = ${admin.tt.tenant.id}`.execute(db);
    };

    await changeElsewhere(() =>
      sql`update profiles set fields = ${JSON.stringify({ contacts: { phones: 'hidden' } })}::jsonb where id = ${profile.id}`.execute(db),
    );
    const hidden = await page();
    expect(hidden.json().items.map((c: { id: string }) => c.id)).toEqual([contact.id]);
    expect(hidden.json().items[0]).not.toHaveProperty('phones');
    await changeElsewhere(async () => {
      await sql`insert into sharing_defaults (tenant_id, module, level) values (${admin.tt.tenant.id}, 'contacts', 'private')
        on conflict (tenant_id, module) do update set level = excluded.level`.execute(db);
    });
    const privately = await page();
    expect(privately.statusCode).toBe(200);
    expect(privately.json().items).toEqual([]);
    await changeElsewhere(() =>
      sql`update profiles set permissions = ${JSON.stringify({ contacts: {} })}::jsonb where id = ${profile.id}`.execute(db),
    );
    const denied = await page();
    expect(denied.statusCode).toBe(403);
    expect(denied.body).not.toContain('Listed');
  });

  it('keeps the role tree a tree and the tenant with an administrator', async () => {
    const admin = await crmSession(t);
    const a = (await admin.post('/api/v1/roles', { name: 'A' })).json();
    const b = (await admin.post('/api/v1/roles', { name: 'B', parentId: a.id })).json();
    const c = (await admin.post('/api/v1/roles', { name: 'C', parentId: b.id })).json();
    const cycle = await admin.patch(`/api/v1/roles/${a.id}`, { parentId: c.id });
    expect(cycle.statusCode).toBe(409);
    expect(cycle.json().code).toBe('role_cycle');
    expect((await admin.patch(`/api/v1/roles/${a.id}`, { parentId: a.id })).statusCode).toBe(409);
    // Moving B moves C with it: a user in A then no longer sees C's records.
    const d = (await admin.post('/api/v1/roles', { name: 'D' })).json();
    expect((await admin.patch(`/api/v1/roles/${b.id}`, { parentId: d.id })).json().parentId).toBe(d.id);
    const roles = (await admin.get('/api/v1/roles')).json().items as Array<{ id: string; parentId: string | null }>;
    expect(roles.find((r) => r.id === c.id)!.parentId).toBe(b.id);

    const inC = await member(admin, { roleId: c.id });
    expect((await admin.del(`/api/v1/roles/${c.id}`)).statusCode).toBe(400);
    expect((await admin.del(`/api/v1/roles/${b.id}?moveUsersTo=${a.id}`)).statusCode).toBe(409);
    expect((await admin.del(`/api/v1/roles/${c.id}?moveUsersTo=${d.id}`)).statusCode).toBe(204);
    expect((await admin.get(`/api/v1/users/${inC.id}`)).json().roleId).toBe(d.id);

    const profiles = (await admin.get('/api/v1/profiles')).json().items as Array<{ id: string; name: string; isAdmin: boolean }>;
    const standard = profiles.find((p) => p.name === 'Standard')!;
    const administrator = profiles.find((p) => p.isAdmin)!;
    const last = await admin.patch(`/api/v1/users/${admin.tt.admin.id}`, { profileId: standard.id });
    expect(last.statusCode).toBe(409);
    expect(last.json().code).toBe('last_admin');
    expect((await admin.patch(`/api/v1/profiles/${administrator.id}`, { permissions: {} })).statusCode).toBe(400);
    expect((await admin.del(`/api/v1/profiles/${standard.id}`)).statusCode).toBe(409);
    const promoted = await admin.patch(`/api/v1/users/${inC.id}`, { profileId: administrator.id });
    expect(promoted.json()).toMatchObject({ isAdmin: true, profileId: administrator.id });
  });

  it('refuses another tenant’s roles, profiles and groups, and limits API tokens by scope and by their user', async () => {
    const a = await crmSession(t);
    const b = await crmSession(t);
    const role = (await a.post('/api/v1/roles', { name: 'Only A' })).json();
    const group = (await a.post('/api/v1/groups', { name: 'Only A' })).json();
    expect((await b.patch(`/api/v1/roles/${role.id}`, { name: 'x' })).statusCode).toBe(404);
    expect((await b.post('/api/v1/roles', { name: 'x', parentId: role.id })).statusCode).toBe(404);
    expect((await b.del(`/api/v1/groups/${group.id}`)).statusCode).toBe(404);
    expect((await b.post('/api/v1/users', { email: 'x@example.test', name: 'x', password: password(), roleId: role.id })).statusCode).toBe(
      404,
    );
    expect((await b.get('/api/v1/roles')).json().items.map((r: { id: string }) => r.id)).not.toContain(role.id);

    const readToken = (await a.post('/api/v1/me/tokens', { name: 'read only', scopes: ['read'] })).json().token as string;
    const asToken = { authorization: `Bearer ${readToken}` };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/roles', headers: asToken, payload: { name: 'y' } })).statusCode).toBe(403);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: asToken, payload: { firstName: 'y' } })).statusCode,
    ).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/contacts', headers: asToken })).statusCode).toBe(200);
  });
});

// --- the decision itself, table-driven ----------------------------------------------------------

/** root ⊃ manager ⊃ rep (ann, bob), root ⊃ sibling (sue); group "team" = { gil }. */
function snapshot(defaultLevel: 'private' | 'public_read' | 'public_write', rules: AccessSnapshot['rules'] = []): AccessSnapshot {
  const profile = { id: 'std', isAdmin: false, permissions: { contacts: { view: true, edit: true } }, fields: {} };
  return {
    version: '1',
    rootRoleId: 'root',
    rolePaths: new Map([
      ['root', '/root/'],
      ['manager', '/root/manager/'],
      ['rep', '/root/manager/rep/'],
      ['sibling', '/root/sibling/'],
    ]),
    users: new Map([
      ['admin', { roleId: 'root', profileId: 'adm', active: true }],
      ['boss', { roleId: 'manager', profileId: 'std', active: true }],
      ['ann', { roleId: 'rep', profileId: 'std', active: true }],
      ['bob', { roleId: 'rep', profileId: 'std', active: true }],
      ['sue', { roleId: 'sibling', profileId: 'std', active: true }],
      ['gil', { roleId: 'sibling', profileId: 'std', active: true }],
      ['gone', { roleId: 'manager', profileId: 'std', active: false }],
    ]),
    profiles: new Map<string, ProfileRules>([
      ['std', profile],
      ['adm', { id: 'adm', isAdmin: true, permissions: {}, fields: {} }],
    ]),
    groups: new Map([['team', { userIds: new Set(['gil']), roleIds: new Set<string>() }]]),
    defaults: new Map([['contacts', defaultLevel]]),
    rules,
  };
}

const shareRepWithTeam: AccessSnapshot['rules'] = [
  { module: 'contacts', from: { kind: 'role', id: 'rep' }, to: { kind: 'group', id: 'team' }, access: 'read' },
];

describe('who reaches a contact owned by ann', () => {
  // actor, default, rules, may read, may write
  const cases: Array<[string, 'private' | 'public_read' | 'public_write', AccessSnapshot['rules'], boolean, boolean]> = [
    ['ann', 'private', [], true, true], // the owner
    ['bob', 'private', [], false, false], // same role: a peer, not above
    ['boss', 'private', [], true, true], // the role above
    ['sue', 'private', [], false, false], // a sibling branch
    ['admin', 'private', [], true, true], // the Administrator profile
    ['gone', 'private', [], false, false], // deactivated, though above
    ['gil', 'private', shareRepWithTeam, true, false], // a read rule to his group
    ['sue', 'private', shareRepWithTeam, false, false], // same role as gil, not in the group
    ['bob', 'public_read', [], true, false],
    ['sue', 'public_read', [], true, false],
    ['bob', 'public_write', [], true, true],
    ['sue', 'public_write', [], true, true],
  ];
  it.each(cases)('%s with %s defaults (rules: %j) → read %s, write %s', (actor, level, rules, read, write) => {
    const access = accessFor(snapshot(level, rules), actor);
    expect(access.mayRead('contacts', { ownerId: 'ann' })).toBe(read);
    expect(access.mayWrite('contacts', { ownerId: 'ann' })).toBe(write);
  });
});

describe('who reaches a contact owned by sue and assigned to the group "team" (gil)', () => {
  const shareTeamWithReps: AccessSnapshot['rules'] = [
    { module: 'contacts', from: { kind: 'group', id: 'team' }, to: { kind: 'role', id: 'rep' }, access: 'read' },
  ];
  // actor, default, rules, may read, may write
  const cases: Array<[string, 'private' | 'public_read', AccessSnapshot['rules'], boolean, boolean]> = [
    ['gil', 'private', [], true, true], // a member: owner access
    ['sue', 'private', [], true, true], // the owning user keeps hers
    ['ann', 'private', [], false, false], // neither owner nor member
    ['boss', 'private', [], false, false], // above other people, not above sue or the group
    ['ann', 'private', shareTeamWithReps, true, false], // a rule sharing the group's records with reps
    ['ann', 'public_read', [], true, false],
  ];
  it.each(cases)('%s with %s defaults (rules: %j) → read %s, write %s', (actor, level, rules, read, write) => {
    const access = accessFor(snapshot(level, rules), actor);
    const record = { ownerId: 'sue', ownerGroupId: 'team' };
    expect(access.mayRead('contacts', record)).toBe(read);
    expect(access.mayWrite('contacts', record)).toBe(write);
  });

  it('makes members of a role in the group members too', () => {
    const s = snapshot('private');
    s.groups.set('reps', { userIds: new Set(), roleIds: new Set(['rep']) });
    const record = { ownerId: 'sue', ownerGroupId: 'reps' };
    expect(accessFor(s, 'ann').mayWrite('contacts', record)).toBe(true);
    expect(accessFor(s, 'bob').mayRead('contacts', record)).toBe(true);
    expect(accessFor(s, 'gil').mayRead('contacts', record)).toBe(false);
    expect(accessFor(s, 'ann').owners('contacts', 'read')).toMatchObject({ all: false, groupIds: ['reps'] });
  });

  it('decides reads and writes as the documented rules say, and lists reach exactly as far (random models)', () => {
    const users = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }), // parent index of roles r1..r4 (r0 is root)
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 6, maxLength: 6 }), // role of each user
        fc.constantFrom('private' as const, 'public_read' as const, 'public_write' as const),
        fc.array(fc.record({ from: fc.integer({ min: 0, max: 5 }), to: fc.integer({ min: 0, max: 5 }), write: fc.boolean() }), {
          maxLength: 3,
        }),
        fc.constantFrom(...users),
        fc.subarray(users), // members of group g0 (r5 and g0 stand for the group in rules)
        (parents, roleOf, level, ruleSpecs, actor, members) => {
          const paths = new Map<string, string>([['r0', '/r0/']]);
          for (let i = 1; i <= 4; i++) {
            const parent = `r${Math.min(parents[i - 1]!, i - 1)}`;
            paths.set(`r${i}`, `${paths.get(parent)}r${i}/`);
          }
          const s: AccessSnapshot = {
            ...snapshot(level),
            rootRoleId: 'r0',
            rolePaths: paths,
            users: new Map(users.map((u, i) => [u, { roleId: `r${roleOf[i]}`, profileId: 'std', active: true }])),
            groups: new Map([['g0', { userIds: new Set(members), roleIds: new Set<string>() }]]),
            rules: ruleSpecs.map((r) => {
              const party = (i: number) => (i === 5 ? { kind: 'group' as const, id: 'g0' } : { kind: 'role' as const, id: `r${i}` });
              return { module: 'contacts', from: party(r.from), to: party(r.to), access: r.write ? 'write' : 'read' };
            }),
          };
          // The rules as docs/security.md states them, by brute force over the generated model
          // (parents walked one by one, not the role paths the policy uses): the oracle.
          const parentOf = (r: number): number | null => (r === 0 ? null : Math.min(parents[r - 1]!, r - 1));
          const strictlyAbove = (upper: number, lower: number) => {
            for (let r = parentOf(lower); r !== null; r = parentOf(r)) if (r === upper) return true;
            return false;
          };
          const roleIndex = (u: string) => roleOf[users.indexOf(u)]!;
          const holds = (party: number, u: string) => (party === 5 ? members.includes(u) : roleIndex(u) === party);
          const expected = (mode: 'read' | 'write', owner: string, ownerGroupId: string | null) =>
            level === 'public_write' ||
            (mode === 'read' && level === 'public_read') ||
            owner === actor ||
            strictlyAbove(roleIndex(actor), roleIndex(owner)) ||
            (ownerGroupId === 'g0' && members.includes(actor)) ||
            ruleSpecs.some(
              (r) =>
                (mode === 'read' || r.write) && holds(r.to, actor) && (holds(r.from, owner) || (r.from === 5 && ownerGroupId === 'g0')),
            );

          const access = accessFor(s, actor);
          const listed = access.owners('contacts', 'read');
          for (const owner of users) {
            for (const ownerGroupId of [null, 'g0']) {
              const record = { ownerId: owner, ownerGroupId };
              const what = `${actor} on ${owner}/${ownerGroupId}: ${level}, roles ${roleOf.join()}, parents ${parents.join()}, g0 ${members.join()}, rules ${JSON.stringify(ruleSpecs)}`;
              expect(access.mayRead('contacts', record), `read ${what}`).toBe(expected('read', owner, ownerGroupId));
              expect(access.mayWrite('contacts', record), `write ${what}`).toBe(expected('write', owner, ownerGroupId));
              const inList =
                listed.all || listed.ownerIds.includes(owner) || (ownerGroupId !== null && listed.groupIds.includes(ownerGroupId));
              expect(inList).toBe(access.mayRead('contacts', record));
              if (access.mayWrite('contacts', record)) expect(access.mayRead('contacts', record)).toBe(true);
            }
          }
          expect(access.mayRead('contacts', { ownerId: actor })).toBe(true);
          if (members.includes(actor)) expect(access.mayWrite('contacts', { ownerId: 'nobody', ownerGroupId: 'g0' })).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('lists against single reads, in the database', () => {
  it('shows each random actor exactly the contacts a direct read lets them open', async () => {
    const admin = await crmSession(t);
    const top = (await admin.post('/api/v1/roles', { name: 'Top' })).json();
    const mid = (await admin.post('/api/v1/roles', { name: 'Mid', parentId: top.id })).json();
    const side = (await admin.post('/api/v1/roles', { name: 'Side' })).json();
    const profile = (
      await admin.post('/api/v1/profiles', { name: 'All contacts', permissions: { contacts: { view: true, create: true, edit: true } } })
    ).json();
    const people = [
      await member(admin, { roleId: top.id, profileId: profile.id }),
      await member(admin, { roleId: mid.id, profileId: profile.id }),
      await member(admin, { roleId: mid.id, profileId: profile.id }),
      await member(admin, { roleId: side.id, profileId: profile.id }),
    ];
    const contactIds: string[] = [];
    for (const [i, p] of people.entries()) {
      for (let k = 0; k < 2; k++)
        contactIds.push((await p.post('/api/v1/contacts', { firstName: `P${i}`, lastName: `C${k}` })).json().id as string);
    }
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('private', 'public_read'),
        fc.boolean(),
        fc.integer({ min: 0, max: people.length - 1 }),
        async (level, shareSide, who) => {
          await t.app.inject({
            method: 'PUT',
            url: '/api/v1/sharing/defaults',
            headers: { authorization: `Bearer ${admin.token}` },
            payload: { contacts: level },
          });
          const rules = (await admin.get('/api/v1/sharing/rules')).json().items as Array<{ id: string }>;
          for (const r of rules) await admin.del(`/api/v1/sharing/rules/${r.id}`);
          if (shareSide)
            await admin.post('/api/v1/sharing/rules', {
              module: 'contacts',
              from: { kind: 'role', id: side.id },
              to: { kind: 'role', id: mid.id },
              access: 'read',
            });
          const actor = people[who]!;
          const listed = new Set<string>();
          let cursor: string | null = null;
          do {
            const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
              await actor.get(`/api/v1/contacts?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
            ).json();
            for (const item of page.items) listed.add(item.id);
            cursor = page.nextCursor;
          } while (cursor);
          for (const id of contactIds) {
            const status = (await actor.get(`/api/v1/contacts/${id}`)).statusCode;
            expect(listed.has(id), `${level} share=${shareSide} actor=${who} contact=${id}`).toBe(status === 200);
          }
        },
      ),
      { numRuns: 8 },
    );
  });
});

describe('records owned by a group', () => {
  const modules = [
    { path: 'organizations', create: { name: 'Group Org' }, change: { industry: 'Shipping' } },
    { path: 'contacts', create: { firstName: 'Group', lastName: 'Contact' }, change: { jobTitle: 'Buyer' } },
    { path: 'leads', create: { firstName: 'Group', lastName: 'Lead' }, change: { jobTitle: 'Buyer' } },
    { path: 'deals', create: { title: 'Group deal', amount: 1000, currency: 'EUR' }, change: { title: 'Bigger deal' } },
    { path: 'activities', create: { type: 'task', subject: 'Call back' }, change: { subject: 'Call back soon' } },
  ] as const;

  it.each(modules)('gives every member of the group owner access to $path, and nobody else more', async ({ path, create, change }) => {
    const admin = await crmSession(t);
    const privateDefaults = { organizations: 'private', contacts: 'private', leads: 'private', deals: 'private', activities: 'private' };
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/sharing/defaults',
      headers: { authorization: `Bearer ${admin.token}` },
      payload: privateDefaults,
    });
    expect(put.statusCode, put.body).toBe(200);
    const standard = ((await admin.get('/api/v1/profiles')).json().items as Array<{ id: string; name: string }>).find(
      (p) => p.name === 'Standard',
    )!;
    const ann = await member(admin, { profileId: standard.id, name: 'Ann' });
    const bob = await member(admin, { profileId: standard.id, name: 'Bob' });
    const carl = await member(admin, { profileId: standard.id, name: 'Carl' });
    const team = (await admin.post('/api/v1/groups', { name: 'Key accounts', memberIds: [ann.id, bob.id] })).json();

    const created = await ann.post(`/api/v1/${path}`, { ...create, ownerGroupId: team.id });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ ownerId: ann.id, ownerGroupId: team.id });
    const id = created.json().id as string;

    // Bob, a fellow member, reaches it in the list, by id and to change it.
    expect((await bob.get(`/api/v1/${path}/${id}`)).statusCode).toBe(200);
    expect(ids(await bob.get(`/api/v1/${path}?limit=200`))).toContain(id);
    const changed = await bob.patch(`/api/v1/${path}/${id}`, change);
    expect(changed.statusCode, changed.body).toBe(200);
    // Carl, a peer outside the group, does not know it exists.
    expect((await carl.get(`/api/v1/${path}/${id}`)).statusCode).toBe(404);
    expect(ids(await carl.get(`/api/v1/${path}?limit=200`))).not.toContain(id);
    expect((await carl.patch(`/api/v1/${path}/${id}`, change)).statusCode).toBe(404);
    // Nobody hands records to a group they are not in, or to one that does not exist.
    const foreign = await carl.post(`/api/v1/${path}`, { ...create, ownerGroupId: team.id });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('permission_denied');
    const unknown = await ann.post(`/api/v1/${path}`, { ...create, ownerGroupId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().code).toBe('invalid_field');
    // The filter finds what the group holds.
    expect(ids(await admin.get(`/api/v1/${path}?ownerGroupId=${team.id}`))).toEqual([id]);

    // A group of another tenant is no group here.
    const other = await crmSession(t);
    const otherGroup = (await other.post('/api/v1/groups', { name: 'Theirs', memberIds: [] })).json();
    expect((await admin.post(`/api/v1/${path}`, { ...create, ownerGroupId: otherGroup.id })).statusCode).toBe(400);

    // Deleting the group hands the record back to its user owner alone.
    expect((await admin.del(`/api/v1/groups/${team.id}`)).statusCode).toBe(204);
    expect((await bob.get(`/api/v1/${path}/${id}`)).statusCode).toBe(404);
    const back = await ann.get(`/api/v1/${path}/${id}`);
    expect(back.statusCode).toBe(200);
    expect(back.json().ownerGroupId).toBeNull();
  });

  it('reaches notes through a group-owned parent', async () => {
    const admin = await crmSession(t);
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/sharing/defaults',
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { contacts: 'private' },
    });
    const standard = ((await admin.get('/api/v1/profiles')).json().items as Array<{ id: string; name: string }>).find(
      (p) => p.name === 'Standard',
    )!;
    const ann = await member(admin, { profileId: standard.id });
    const bob = await member(admin, { profileId: standard.id });
    const carl = await member(admin, { profileId: standard.id });
    const team = (await admin.post('/api/v1/groups', { name: 'Team', memberIds: [ann.id, bob.id] })).json();
    const contact = (await ann.post('/api/v1/contacts', { firstName: 'Noted', lastName: 'Person', ownerGroupId: team.id })).json();
    const note = await ann.post('/api/v1/notes', { body: 'Met at the fair', contactId: contact.id });
    expect(note.statusCode, note.body).toBe(201);
    expect(ids(await bob.get(`/api/v1/notes?contactId=${contact.id}`))).toEqual([note.json().id]);
    expect(ids(await carl.get('/api/v1/notes'))).not.toContain(note.json().id);
  });
});
