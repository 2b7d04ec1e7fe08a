import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

const t = useTestServer();

/** One record of each module a link can name. */
interface Linkable {
  contactId: string;
  leadId: string;
  organizationId: string;
  dealId: string;
}
type LinkField = keyof Linkable;
const FIELDS: LinkField[] = ['contactId', 'leadId', 'organizationId', 'dealId'];
const PATHS: Record<LinkField, string> = { contactId: 'contacts', leadId: 'leads', organizationId: 'organizations', dealId: 'deals' };

async function created(res: Promise<LightMyRequestResponse>): Promise<string> {
  const answer = await res;
  expect(answer.statusCode, answer.body).toBe(201);
  return answer.json<{ id: string }>().id;
}

/** One record of each linkable module, made by this session. */
async function linkable(s: CrmSession, label: string): Promise<Linkable> {
  return {
    organizationId: await created(s.post('/api/v1/organizations', { name: `${label} BV` })),
    contactId: await created(s.post('/api/v1/contacts', { firstName: label, lastName: 'Contact', emails: [], phones: [] })),
    leadId: await created(s.post('/api/v1/leads', { firstName: label, lastName: 'Lead', emails: [] })),
    dealId: await created(s.post('/api/v1/deals', { title: `${label} deal`, amount: 1000, currency: 'EUR' })),
  };
}

/** What an answer tells: everything but the request id, which differs on every request. */
function told(res: LightMyRequestResponse) {
  const { requestId: _requestId, ...body } = res.json<Record<string, unknown>>();
  return { status: res.statusCode, contentType: res.headers['content-type'], body };
}

async function putDefaults(admin: CrmSession, defaults: Record<string, string>) {
  const res = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/sharing/defaults',
    headers: { authorization: `Bearer ${admin.token}` },
    payload: defaults,
  });
  expect(res.statusCode, res.body).toBe(200);
}

async function profileId(admin: CrmSession, name: string, permissions?: Record<string, Record<string, boolean>>): Promise<string> {
  if (permissions) return created(admin.post('/api/v1/profiles', { name, permissions }));
  return ((await admin.get('/api/v1/profiles')).json().items as Array<{ id: string; name: string }>).find((p) => p.name === name)!.id;
}

const ALL = { view: true, create: true, edit: true, delete: true, export: true };

/**
 * Two reps of one role under private defaults: neither sees the other's
 * records. Ann links; Bob's records, records in the recycle bin and another
 * tenant's are the ones she must not be able to tell from unknown ids.
 */
interface World {
  admin: CrmSession;
  ann: CrmSession & { id: string };
  own: Linkable;
  hidden: Linkable;
  binned: Linkable;
  foreign: Linkable;
}

async function world(): Promise<World> {
  const admin = await crmSession(t);
  await putDefaults(admin, { organizations: 'private', contacts: 'private', leads: 'private', deals: 'private', activities: 'private' });
  const role = await created(admin.post('/api/v1/roles', { name: 'Rep' }));
  const standard = await profileId(admin, 'Standard');
  const ann = await memberSession(t, admin, { roleId: role, profileId: standard, name: 'Ann' });
  const bob = await memberSession(t, admin, { roleId: role, profileId: standard, name: 'Bob' });
  const binned = await linkable(ann, 'Binned');
  for (const field of FIELDS) expect((await ann.del(`/api/v1/${PATHS[field]}/${binned[field]}`)).statusCode).toBe(204);
  const hidden = await linkable(bob, 'Bob');
  expect((await ann.get(`/api/v1/contacts/${hidden.contactId}`)).statusCode).toBe(404); // the premise: Ann cannot see Bob's records
  return { admin, ann, own: await linkable(ann, 'Ann'), hidden, binned, foreign: await linkable(await crmSession(t), 'Foreign') };
}

/**
 * A link to another rep's private record, another tenant's record or one in
 * the recycle bin answers exactly as a link to an unknown id — status,
 * content type, code and detail — and a link to a record the caller sees
 * answers `works`.
 */
async function expectUnseenAsUnknown(w: World, field: LinkField, attempt: (id: string) => Promise<LightMyRequestResponse>, works: number) {
  const unknown = told(await attempt(randomUUID()));
  expect(unknown.status, JSON.stringify(unknown.body)).toBeGreaterThanOrEqual(400);
  expect(unknown.contentType).toContain('application/problem+json');
  for (const [what, records] of [
    ["another rep's private record", w.hidden],
    ["another tenant's record", w.foreign],
    ['a record in the recycle bin', w.binned],
  ] as const) {
    expect(told(await attempt(records[field])), `${field}: ${what}`).toEqual(unknown);
  }
  const seen = await attempt(w.own[field]);
  expect(seen.statusCode, seen.body).toBe(works);
}

describe('links to records the caller cannot see answer as unknown ids', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });

  it.each(FIELDS)('activities: %s on create', async (field) => {
    await expectUnseenAsUnknown(
      w,
      field,
      (id) => w.ann.post('/api/v1/activities', { type: 'task', subject: 'Call back', [field]: id }),
      201,
    );
  });

  it.each(FIELDS)('activities: %s on update', async (field) => {
    const activity = await created(w.ann.post('/api/v1/activities', { type: 'call', subject: 'Follow up' }));
    await expectUnseenAsUnknown(w, field, (id) => w.ann.patch(`/api/v1/activities/${activity}`, { [field]: id }), 200);
    expect((await w.ann.get(`/api/v1/activities/${activity}`)).json()[field]).toBe(w.own[field]);
  });

  const deal = { title: 'New', amount: 1, currency: 'EUR' };
  it('deals: organizationId on create', async () => {
    await expectUnseenAsUnknown(w, 'organizationId', (id) => w.ann.post('/api/v1/deals', { ...deal, organizationId: id }), 201);
  });

  it('deals: organizationId on update', async () => {
    const id = await created(w.ann.post('/api/v1/deals', deal));
    await expectUnseenAsUnknown(w, 'organizationId', (org) => w.ann.patch(`/api/v1/deals/${id}`, { organizationId: org }), 200);
    expect((await w.ann.get(`/api/v1/deals/${id}`)).json().organizationId).toBe(w.own.organizationId);
  });

  // A contact among others is named by its place in the list, never by anything that tells it apart.
  it('deals: contactIds on create', async () => {
    await expectUnseenAsUnknown(w, 'contactId', (id) => w.ann.post('/api/v1/deals', { ...deal, contactIds: [w.own.contactId, id] }), 201);
  });

  it('deals: contactIds on update', async () => {
    const id = await created(w.ann.post('/api/v1/deals', deal));
    await expectUnseenAsUnknown(w, 'contactId', (contact) => w.ann.patch(`/api/v1/deals/${id}`, { contactIds: [contact] }), 200);
    expect((await w.ann.get(`/api/v1/deals/${id}`)).json().contactIds).toEqual([w.own.contactId]);
  });

  it('contacts: organizationId on create', async () => {
    await expectUnseenAsUnknown(
      w,
      'organizationId',
      (id) => w.ann.post('/api/v1/contacts', { firstName: 'New', emails: [], phones: [], organizationId: id }),
      201,
    );
  });

  it('contacts: organizationId on update', async () => {
    const contact = await created(w.ann.post('/api/v1/contacts', { firstName: 'Moving', emails: [], phones: [] }));
    await expectUnseenAsUnknown(w, 'organizationId', (id) => w.ann.patch(`/api/v1/contacts/${contact}`, { organizationId: id }), 200);
  });

  it('lead conversion: the organization named', async () => {
    const lead = await created(w.ann.post('/api/v1/leads', { firstName: 'Lea', lastName: 'Convert', emails: [] }));
    await expectUnseenAsUnknown(w, 'organizationId', (id) => w.ann.post(`/api/v1/leads/${lead}/convert`, { organizationId: id }), 200);
  });

  it('lead conversion: the organization found by the company name', async () => {
    // Bob's private "Bob BV" is not Ann's to link by name: her conversion makes an organization of her own.
    const lead = await created(w.ann.post('/api/v1/leads', { firstName: 'Lou', lastName: 'Convert', emails: [], company: 'bob bv' }));
    const converted = await w.ann.post(`/api/v1/leads/${lead}/convert`, { deal: { amount: 100, currency: 'EUR' } });
    expect(converted.statusCode, converted.body).toBe(200);
    const { organizationId, contactId, dealId } = converted.json();
    expect(organizationId).not.toBe(w.hidden.organizationId);
    expect((await w.ann.get(`/api/v1/organizations/${organizationId}`)).json()).toMatchObject({ name: 'bob bv' });
    expect((await w.ann.get(`/api/v1/deals/${dealId}`)).json()).toMatchObject({ organizationId, contactIds: [contactId] });
  });

  it.each(FIELDS)('notes (which already did): %s', async (field) => {
    await expectUnseenAsUnknown(w, field, (id) => w.ann.post('/api/v1/notes', { body: 'Met at the fair', [field]: id }), 201);
  });

  it.each(['contactId', 'dealId'] as const)('logged e-mails (which already did): %s', async (field) => {
    const mail = { direction: 'inbound', from: 'client@example.test', to: ['ann@example.test'], subject: 'Hello', body: 'Hi' };
    await expectUnseenAsUnknown(w, field, (id) => w.ann.post('/api/v1/email-messages', { ...mail, [field]: id }), 201);
  });

  it('keeps links already made by someone who sees both records: the record changes, the link stays', async () => {
    const activity = await created(
      w.admin.post('/api/v1/activities', {
        type: 'task',
        subject: 'Shared',
        assigneeId: w.ann.id,
        contactId: w.hidden.contactId,
        organizationId: w.hidden.organizationId,
        dealId: w.hidden.dealId,
      }),
    );
    const echoed = await w.ann.patch(`/api/v1/activities/${activity}`, {
      subject: 'Done',
      contactId: w.hidden.contactId,
      organizationId: w.hidden.organizationId,
      dealId: w.hidden.dealId,
    });
    expect(echoed.statusCode, echoed.body).toBe(200);
    expect(echoed.json()).toMatchObject({ subject: 'Done', contactId: w.hidden.contactId });

    const deal = await created(
      w.admin.post('/api/v1/deals', {
        title: 'Joint',
        amount: 1,
        currency: 'EUR',
        ownerId: w.ann.id,
        organizationId: w.hidden.organizationId,
        contactIds: [w.hidden.contactId],
      }),
    );
    const kept = await w.ann.patch(`/api/v1/deals/${deal}`, {
      organizationId: w.hidden.organizationId,
      contactIds: [w.hidden.contactId, w.own.contactId],
    });
    expect(kept.statusCode, kept.body).toBe(200);
    expect(kept.json().contactIds.sort()).toEqual([w.hidden.contactId, w.own.contactId].sort());
  });
});

describe('a lead conversion', () => {
  it("links the deal to the contact it has just made, even where the converter does not reach the lead owner's contacts", async () => {
    const admin = await crmSession(t);
    await putDefaults(admin, { contacts: 'private' });
    const role = await created(admin.post('/api/v1/roles', { name: 'Rep' }));
    const standard = await profileId(admin, 'Standard');
    const ann = await memberSession(t, admin, { roleId: role, profileId: standard });
    const bob = await memberSession(t, admin, { roleId: role, profileId: standard });
    const lead = await created(bob.post('/api/v1/leads', { firstName: 'Pat', lastName: 'OfBob', emails: [] }));
    const converted = await ann.post(`/api/v1/leads/${lead}/convert`, { deal: { amount: 100, currency: 'EUR' } });
    expect(converted.statusCode, converted.body).toBe(200);
    const { contactId, dealId } = converted.json();
    expect((await ann.get(`/api/v1/contacts/${contactId}`)).statusCode).toBe(404); // Bob's contact, as the lead was his
    expect((await ann.get(`/api/v1/deals/${dealId}`)).json().contactIds).toEqual([contactId]);
  });
});

describe('links into modules the caller’s profile does not let them view answer as unknown ids', () => {
  // Public_write defaults: only the profile stands in the way.
  let theirs: Linkable;
  let noPeople: CrmSession;
  let noCompanies: CrmSession;
  beforeAll(async () => {
    const admin = await crmSession(t);
    theirs = await linkable(admin, 'Visible to all');
    noPeople = await memberSession(t, admin, {
      profileId: await profileId(admin, 'Activities and deals', { activities: ALL, deals: ALL, notes: ALL }),
    });
    noCompanies = await memberSession(t, admin, { profileId: await profileId(admin, 'People', { contacts: ALL, leads: ALL }) });
  });
  const alike = async (attempt: (id: string) => Promise<LightMyRequestResponse>, existing: string) => {
    const unknown = told(await attempt(randomUUID()));
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(told(await attempt(existing))).toEqual(unknown);
  };

  it.each(['contactId', 'leadId', 'organizationId'] as const)('activities: %s', async (field) => {
    await alike((id) => noPeople.post('/api/v1/activities', { type: 'task', subject: 'Call', [field]: id }), theirs[field]);
  });

  it('deals: contactIds and organizationId', async () => {
    await alike((id) => noPeople.post('/api/v1/deals', { title: 'D', amount: 1, currency: 'EUR', contactIds: [id] }), theirs.contactId);
    await alike(
      (id) => noPeople.post('/api/v1/deals', { title: 'D', amount: 1, currency: 'EUR', organizationId: id }),
      theirs.organizationId,
    );
  });

  it('contacts and lead conversion: organizationId', async () => {
    await alike(
      (id) => noCompanies.post('/api/v1/contacts', { firstName: 'P', emails: [], phones: [], organizationId: id }),
      theirs.organizationId,
    );
    const lead = await created(noCompanies.post('/api/v1/leads', { firstName: 'L', lastName: 'Lead', emails: [] }));
    await alike((id) => noCompanies.post(`/api/v1/leads/${lead}/convert`, { organizationId: id }), theirs.organizationId);
  });

  it('notes and logged e-mails (which already did)', async () => {
    for (const field of ['contactId', 'leadId', 'organizationId'] as const)
      await alike((id) => noPeople.post('/api/v1/notes', { body: 'Note', [field]: id }), theirs[field]);
    await alike(
      (id) =>
        noPeople.post('/api/v1/email-messages', {
          direction: 'outbound',
          from: 'a@example.test',
          to: ['b@example.test'],
          body: 'x',
          contactId: id,
        }),
      theirs.contactId,
    );
  });
});

describe('organizations named in contact answers and exports', () => {
  it("leaves an organization the exporter cannot see out of the export's organization column", async () => {
    const admin = await crmSession(t);
    await putDefaults(admin, { organizations: 'private', contacts: 'public_read' });
    const role = await created(admin.post('/api/v1/roles', { name: 'Rep' }));
    const standard = await profileId(admin, 'Standard');
    const ann = await memberSession(t, admin, { roleId: role, profileId: standard });
    const bob = await memberSession(t, admin, { roleId: role, profileId: standard });
    const secret = await created(bob.post('/api/v1/organizations', { name: 'Secretive Holdings BV' }));
    const binned = await created(ann.post('/api/v1/organizations', { name: 'Gone Away BV' }));
    const known = await created(ann.post('/api/v1/organizations', { name: 'Known Trading BV' }));
    // Contacts are public_read, so Ann exports Bob's contacts too, whatever organization they name.
    const atSecret = await created(
      bob.post('/api/v1/contacts', { firstName: 'Sam', lastName: 'AtSecret', emails: [], phones: [], organizationId: secret }),
    );
    const atKnown = await created(
      admin.post('/api/v1/contacts', {
        firstName: 'Kim',
        lastName: 'AtKnown',
        emails: [],
        phones: [],
        organizationId: known,
        ownerId: bob.id,
      }),
    );
    const atBinned = await created(
      admin.post('/api/v1/contacts', {
        firstName: 'Gil',
        lastName: 'AtGone',
        emails: [],
        phones: [],
        organizationId: binned,
        ownerId: bob.id,
      }),
    );
    expect((await ann.del(`/api/v1/organizations/${binned}`)).statusCode).toBe(204);

    const exported = async (s: CrmSession) => {
      const res = await s.get('/api/v1/exports/contacts.csv');
      expect(res.statusCode, res.body).toBe(200);
      const [header, ...lines] = res.body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n');
      const column = header!.split(',').indexOf('organization');
      return new Map(lines.map((line) => [line.split(',')[0]!, line.split(',')[column]]));
    };
    const byAnn = await exported(ann);
    expect(byAnn.get(atSecret)).toBe('');
    expect(byAnn.get(atBinned)).toBe('');
    expect(byAnn.get(atKnown)).toBe('Known Trading BV');
    const byAdmin = await exported(admin);
    expect(byAdmin.get(atSecret)).toBe('Secretive Holdings BV');

    // Reads and lists carry the link's id only, never the organization's name.
    for (const res of [
      await ann.get(`/api/v1/contacts/${atSecret}`),
      await ann.get('/api/v1/contacts'),
      await ann.get('/api/v1/search?q=Sam'),
    ]) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).not.toContain('Secretive');
    }
  });

  it('names no organization when the profile does not let the exporter view organizations', async () => {
    const admin = await crmSession(t);
    const exporter = await memberSession(t, admin, { profileId: await profileId(admin, 'Exporter', { contacts: ALL }) });
    const organization = await created(admin.post('/api/v1/organizations', { name: 'Anyone Sees BV' }));
    await created(admin.post('/api/v1/contacts', { firstName: 'Ola', emails: [], phones: [], organizationId: organization }));
    const res = await exporter.get('/api/v1/exports/contacts.csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('Ola');
    expect(res.body).not.toContain('Anyone Sees');
    expect((await admin.get('/api/v1/exports/contacts.csv')).body).toContain('Anyone Sees BV');
  });
});
