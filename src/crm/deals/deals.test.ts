import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bearer, signInAdmin } from '../../../test/auth.js';
import { createTestTenant } from '../../../test/factories.js';
import { useTestServer } from '../../../test/server.js';
import { authenticate } from '../../identity/identity.service.js';
import { restoreFromBin } from '../recycle-bin/recycle-bin.service.js';

const t = useTestServer();

async function session() {
  const tt = await createTestTenant(t.handle.db);
  return { tt, token: await signInAdmin(t.app, tt) };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
function call(token: string, method: Method, url: string, payload?: object, headers: Record<string, string> = {}) {
  return t.app.inject({ method, url, headers: { ...bearer(token), ...headers }, ...(payload ? { payload } : {}) });
}
const post = (token: string, url: string, payload: object) => call(token, 'POST', url, payload);
const patch = (token: string, url: string, payload: object, headers: Record<string, string> = {}) =>
  call(token, 'PATCH', url, payload, headers);
const get = (token: string, url: string) => call(token, 'GET', url);

interface Stage {
  id: string;
  name: string;
  probability: number;
  kind: string;
}
interface Pipeline {
  id: string;
  name: string;
  isDefault: boolean;
  stages: Stage[];
  version: number;
}
interface Deal {
  id: string;
  title: string;
  amount: number;
  stageId: string;
  pipelineId: string;
  status: string;
  expectedCloseDate: string | null;
  [key: string]: unknown;
}

async function pipelines(token: string): Promise<Pipeline[]> {
  return (await get(token, '/api/v1/pipelines')).json().items;
}

async function deal(token: string, body: object = {}): Promise<Deal> {
  const res = await post(token, '/api/v1/deals', { title: 'A deal', amount: 100, currency: 'EUR', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Every page of a list, following nextCursor; `between` runs after each page. */
async function allPages<T>(token: string, url: string, between?: (page: number) => Promise<void>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const sep = url.includes('?') ? '&' : '?';
    const res = await get(token, `${url}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const body: { items: T[]; nextCursor: string | null } = res.json();
    items.push(...body.items);
    cursor = body.nextCursor;
    if (!cursor) return items;
    await between?.(page);
  }
  throw new Error('too many pages');
}

describe('deals', () => {
  it('creates from { title, amount, currency } in the first stage of a default "Sales" pipeline', async () => {
    const { tt, token } = await session();
    const res = await post(token, '/api/v1/deals', { title: 'Acme renewal', amount: 1250, currency: 'EUR' });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    const [sales, ...others] = await pipelines(token);
    expect(others).toHaveLength(0);
    expect(sales).toMatchObject({ name: 'Sales', isDefault: true });
    expect(sales!.stages.map((s) => [s.name, s.probability, s.kind])).toEqual([
      ['Qualification', 10, 'open'],
      ['Proposal', 40, 'open'],
      ['Negotiation', 70, 'open'],
      ['Won', 100, 'won'],
      ['Lost', 0, 'lost'],
    ]);
    expect(created).toMatchObject({
      title: 'Acme renewal',
      amount: 1250,
      currency: 'EUR',
      pipelineId: sales!.id,
      stageId: sales!.stages[0]!.id,
      status: 'open',
      probability: 10,
      lostReason: null,
      closedAt: null,
      expectedCloseDate: null,
      organizationId: null,
      contactIds: [],
      ownerId: tt.admin.id,
      custom: {},
      version: 1,
    });
    const got = await get(token, `/api/v1/deals/${created.id}`);
    expect(got.json()).toEqual(created);
    expect(got.headers.etag).toBe('"1"');
    // Money is stored as integer minor units, never a float.
    const raw = await sql<{
      amount_minor: number;
      currency: string;
    }>`select amount_minor, currency from deals where id = ${created.id}`.execute(t.handle.db);
    expect(raw.rows[0]).toEqual({ amount_minor: 1250, currency: 'EUR' });
  });

  it('links an organization, contacts and another owner of the same tenant', async () => {
    const { tt, token } = await session();
    const org = (await post(token, '/api/v1/organizations', { name: 'Acme BV' })).json();
    const ann = (await post(token, '/api/v1/contacts', { firstName: 'Ann', lastName: 'Acme' })).json();
    const bob = (await post(token, '/api/v1/contacts', { firstName: 'Bob', lastName: 'Acme' })).json();
    const rep = (
      await post(token, '/api/v1/users', { email: `rep@${tt.tenant.slug}.test`, name: 'Rep', password: 'Rep-p4ssw0rd-long-enough!' })
    ).json();
    await post(token, '/api/v1/custom-fields', {
      module: 'deals',
      key: 'region',
      label: 'Region',
      type: 'select',
      options: ['north', 'south'],
    });
    await post(token, '/api/v1/custom-fields', { module: 'deals', key: 'seats', label: 'Seats', type: 'number' });
    const d = await deal(token, {
      tags: ['renewal'],
      organizationId: org.id,
      contactIds: [ann.id, bob.id, ann.id],
      ownerId: rep.id,
      expectedCloseDate: '2025-06-30',
      custom: { region: 'north', seats: 12 },
    });
    expect(d).toMatchObject({
      organizationId: org.id,
      ownerId: rep.id,
      expectedCloseDate: '2025-06-30',
      custom: { region: 'north', seats: 12 },
      tags: ['renewal'],
    });
    expect((await get(token, '/api/v1/deals?tag=RENEWAL')).json().items.map((x: { id: string }) => x.id)).toEqual([d.id]);
    expect((await get(token, '/api/v1/deals?tag=other')).json().items).toEqual([]);
    expect((await post(token, '/api/v1/deals', { title: 'X', amount: 1, currency: 'EUR', custom: { region: 'east' } })).statusCode).toBe(
      400,
    );
    expect((d.contactIds as string[]).slice().sort()).toEqual([ann.id, bob.id].sort());
    const changed = await patch(token, `/api/v1/deals/${d.id}`, { contactIds: [bob.id], organizationId: null });
    expect(changed.json()).toMatchObject({ contactIds: [bob.id], organizationId: null, version: 2 });
    // A deleted contact no longer shows on the deal, nor may it be linked again.
    await call(token, 'DELETE', `/api/v1/contacts/${bob.id}`);
    expect((await get(token, `/api/v1/deals/${d.id}`)).json().contactIds).toEqual([]);
    const relink = await patch(token, `/api/v1/deals/${d.id}`, { contactIds: [bob.id] });
    expect(relink.statusCode).toBe(400);
    expect(relink.json()).toMatchObject({ code: 'invalid_field' });
    expect(relink.json().detail).toContain('contactIds');
    const badOwner = await post(token, '/api/v1/deals', {
      title: 'X',
      amount: 1,
      currency: 'EUR',
      ownerId: '01900000-0000-7000-8000-000000000000',
    });
    expect(badOwner.statusCode).toBe(400);
    expect(badOwner.json().detail).toContain('ownerId');
  });

  it('opens the deal of a lead conversion in the default pipeline, with the new contact, in the same transaction', async () => {
    const { token } = await session();
    const lead = (
      await post(token, '/api/v1/leads', { firstName: 'Lea', lastName: 'Convert', emails: ['lea@example.test'], company: 'Lea BV' })
    ).json();
    const converted = await post(token, `/api/v1/leads/${lead.id}/convert`, { deal: { amount: 250000, currency: 'EUR' } });
    expect(converted.statusCode, converted.body).toBe(200);
    const { contactId, organizationId, dealId } = converted.json();
    expect((await get(token, `/api/v1/deals/${dealId}`)).json()).toMatchObject({
      title: 'Lea BV',
      amount: 250000,
      currency: 'EUR',
      status: 'open',
      organizationId,
      contactIds: [contactId],
    });
    // A bad currency fails the whole conversion: the lead stays unconverted and no deal appears.
    const other = (await post(token, '/api/v1/leads', { firstName: 'Bad', lastName: 'Money', emails: ['bad@example.test'] })).json();
    const refused = await post(token, `/api/v1/leads/${other.id}/convert`, { deal: { amount: 1, currency: 'XQZ' } });
    expect(refused.statusCode).toBe(400);
    expect((await get(token, `/api/v1/leads/${other.id}`)).json().convertedContactId).toBeNull();
    expect((await get(token, '/api/v1/deals')).json().items.map((d: Deal) => d.id)).toEqual([dealId]);
  });

  it('refuses bad money, dates and stages with problem+json and a code, and keeps nothing', async () => {
    const { token } = await session();
    const other = (await post(token, '/api/v1/pipelines', { name: 'Other', stages: [{ name: 'Only', probability: 50 }] })).json();
    const cases: Array<[object, string]> = [
      [{ currency: 'eur' }, 'validation_failed'],
      [{ currency: 'EURO' }, 'validation_failed'],
      [{ currency: 'XQZ' }, 'invalid_field'],
      [{ amount: 12.5 }, 'validation_failed'],
      [{ amount: -1 }, 'validation_failed'],
      [{ amount: '12.50' }, 'validation_failed'],
      [{ expectedCloseDate: '2025-02-30' }, 'validation_failed'],
      [{ expectedCloseDate: '30-06-2025' }, 'validation_failed'],
      [{ stageId: other.stages[0].id, pipelineId: (await pipelines(token)).find((p) => p.isDefault)!.id }, 'invalid_stage'],
      [{ pipelineId: '01900000-0000-7000-8000-000000000000' }, 'invalid_field'],
      [{ title: '   ' }, 'invalid_field'],
      [{ lostReason: 'too pricey' }, 'invalid_field'],
      [{ surprise: true }, 'validation_failed'],
    ];
    for (const [body, code] of cases) {
      const res = await post(token, '/api/v1/deals', { title: 'Bad', amount: 100, currency: 'EUR', ...body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code, JSON.stringify(body)).toBe(code);
    }
    expect((await get(token, '/api/v1/deals')).json().items).toHaveLength(0);
    // A stage of another pipeline named alone puts the deal in that pipeline.
    const placed = await deal(token, { stageId: other.stages[0].id });
    expect(placed).toMatchObject({ pipelineId: other.id, stageId: other.stages[0].id, probability: 50 });
    const wrongStage = await patch(token, `/api/v1/deals/${placed.id}`, { stageId: (await pipelines(token))[0]!.stages[1]!.id });
    expect(wrongStage.json().code).toBe('invalid_stage');
    const badDate = await patch(token, `/api/v1/deals/${placed.id}`, { expectedCloseDate: '2025-13-01' });
    expect(badDate.statusCode).toBe(400);
  });

  it('moves through stages: each move is in the history, and won or lost closes the deal', async () => {
    const { tt, token } = await session();
    const sales = (await pipelines(token))[0]!;
    const [qualification, proposal, , won, lost] = sales.stages;
    const d = await deal(token);
    const moved = (await patch(token, `/api/v1/deals/${d.id}`, { stageId: proposal!.id })).json();
    expect(moved).toMatchObject({ stageId: proposal!.id, probability: 40, status: 'open', closedAt: null });
    const lostDeal = (await patch(token, `/api/v1/deals/${d.id}`, { status: 'lost', lostReason: 'went with a competitor' })).json();
    expect(lostDeal).toMatchObject({ stageId: lost!.id, status: 'lost', probability: 0, lostReason: 'went with a competitor' });
    expect(lostDeal.closedAt).toEqual(expect.any(String));
    // Reopened: no longer closed, no reason; then won by stage.
    const reopened = (await patch(token, `/api/v1/deals/${d.id}`, { stageId: qualification!.id })).json();
    expect(reopened).toMatchObject({ status: 'open', closedAt: null, lostReason: null });
    const wonDeal = (await patch(token, `/api/v1/deals/${d.id}`, { stageId: won!.id })).json();
    expect(wonDeal).toMatchObject({ status: 'won', probability: 100 });
    expect(Date.parse(wonDeal.closedAt)).toBeGreaterThan(Date.parse(lostDeal.closedAt) - 1);
    // A change that is not a move leaves the history and the close date alone.
    const renamed = (await patch(token, `/api/v1/deals/${d.id}`, { title: 'Renamed' })).json();
    expect(renamed).toMatchObject({ status: 'won', closedAt: wonDeal.closedAt });
    const history = (await get(token, `/api/v1/deals/${d.id}/history`)).json().items;
    expect(history.map((h: { fromStageName: string | null; toStageName: string }) => [h.fromStageName, h.toStageName])).toEqual([
      [null, 'Qualification'],
      ['Qualification', 'Proposal'],
      ['Proposal', 'Lost'],
      ['Lost', 'Qualification'],
      ['Qualification', 'Won'],
    ]);
    expect(history.every((h: { changedBy: string }) => h.changedBy === tt.admin.id)).toBe(true);
    // The database agrees: a closed deal always has a close date.
    const raw = await sql<{ status: string; closed_at: Date | null }>`select status, closed_at from deals where id = ${d.id}`.execute(
      t.handle.db,
    );
    expect(raw.rows[0]!.status).toBe('won');
    expect(raw.rows[0]!.closed_at).toBeInstanceOf(Date);
  });

  it('answers 409 version_conflict to a stale If-Match or version, and keeps the newer change', async () => {
    const { token } = await session();
    const d = await deal(token, { title: 'Original' });
    const first = await patch(token, `/api/v1/deals/${d.id}`, { title: 'First' }, { 'if-match': '"1"' });
    expect(first.json()).toMatchObject({ title: 'First', version: 2 });
    const staleHeader = await patch(token, `/api/v1/deals/${d.id}`, { title: 'Lost update' }, { 'if-match': '1' });
    expect(staleHeader.statusCode).toBe(409);
    expect(staleHeader.json().code).toBe('version_conflict');
    const staleBody = await patch(token, `/api/v1/deals/${d.id}`, { amount: 5, version: 1 });
    expect(staleBody.statusCode).toBe(409);
    expect((await get(token, `/api/v1/deals/${d.id}`)).json()).toMatchObject({ title: 'First', amount: 100, version: 2 });
  });

  it('filters by owner, pipeline, stage, status, organization, contact and created/updated ranges', async () => {
    const { tt, token } = await session();
    const org = (await post(token, '/api/v1/organizations', { name: 'Filter Org' })).json();
    const ann = (await post(token, '/api/v1/contacts', { firstName: 'Ann', lastName: 'Filter' })).json();
    const rep = (
      await post(token, '/api/v1/users', { email: `rep@${tt.tenant.slug}.test`, name: 'Rep', password: 'Rep-p4ssw0rd-long-enough!' })
    ).json();
    const other = (await post(token, '/api/v1/pipelines', { name: 'Other', stages: [{ name: 'One', probability: 20 }] })).json();
    const sales = (await pipelines(token)).find((p) => p.isDefault)!;
    const a = await deal(token, { title: 'a', organizationId: org.id });
    const b = await deal(token, { title: 'b', contactIds: [ann.id], ownerId: rep.id });
    const c = await deal(token, { title: 'c', status: 'won' });
    const d = await deal(token, { title: 'd', pipelineId: other.id });
    const titles = async (query: string) =>
      (await get(token, `/api/v1/deals?${query}`))
        .json()
        .items.map((x: Deal) => x.title)
        .sort();
    expect(await titles('')).toEqual(['a', 'b', 'c', 'd']);
    expect(await titles(`organizationId=${org.id}`)).toEqual(['a']);
    expect(await titles(`contactId=${ann.id}`)).toEqual(['b']);
    expect(await titles(`ownerId=${rep.id}`)).toEqual(['b']);
    expect(await titles(`ownerId=${tt.admin.id}`)).toEqual(['a', 'c', 'd']);
    expect(await titles('status=won')).toEqual(['c']);
    expect(await titles('status=open')).toEqual(['a', 'b', 'd']);
    expect(await titles(`pipelineId=${other.id}`)).toEqual(['d']);
    expect(await titles(`stageId=${sales.stages[0]!.id}`)).toEqual(['a', 'b']);
    const cCreated = (await get(token, `/api/v1/deals/${c.id}`)).json().createdAt;
    expect(await titles(`createdFrom=${encodeURIComponent(cCreated)}`)).toEqual(['c', 'd']);
    expect(await titles(`createdTo=${encodeURIComponent(cCreated)}`)).toEqual(['a', 'b']);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const touched = (await patch(token, `/api/v1/deals/${a.id}`, { amount: 7 })).json();
    expect(await titles(`updatedFrom=${encodeURIComponent(touched.updatedAt)}`)).toEqual(['a']);
    expect(await titles(`updatedTo=${encodeURIComponent(touched.updatedAt)}`)).toEqual(['b', 'c', 'd']);
    expect((await get(token, '/api/v1/deals?status=closed')).statusCode).toBe(400);
    expect((await get(token, '/api/v1/deals?createdFrom=yesterday')).statusCode).toBe(400);
    expect(b.ownerId).toBe(rep.id);
    expect(d.pipelineId).toBe(other.id);
  });

  it('sorts on amount, title, expected close date (undated last) and creation, both ways where offered', async () => {
    const { token } = await session();
    await deal(token, { title: 'banana', amount: 300, expectedCloseDate: '2025-03-01' });
    await deal(token, { title: 'Apple', amount: 100 });
    await deal(token, { title: 'cherry', amount: 200, expectedCloseDate: '2025-01-15' });
    await deal(token, { title: 'date', amount: 200, expectedCloseDate: '2025-12-31' });
    const titles = async (sort: string) => (await allPages<Deal>(token, `/api/v1/deals?sort=${sort}&limit=1`)).map((d) => d.title);
    expect(await titles('amount')).toEqual(['Apple', 'cherry', 'date', 'banana']);
    expect(await titles('-amount')).toEqual(['banana', 'date', 'cherry', 'Apple']);
    expect(await titles('title')).toEqual(['Apple', 'banana', 'cherry', 'date']);
    expect(await titles('expectedCloseDate')).toEqual(['cherry', 'banana', 'date', 'Apple']);
    expect(await titles('createdAt')).toEqual(['banana', 'Apple', 'cherry', 'date']);
    expect(await titles('-createdAt')).toEqual(['date', 'cherry', 'Apple', 'banana']);
    expect(await titles('updatedAt')).toEqual(['banana', 'Apple', 'cherry', 'date']);
    // A cursor belongs to its sort; limits stay within 1..200.
    const page = (await get(token, '/api/v1/deals?sort=amount&limit=1')).json();
    const mixed = await get(token, `/api/v1/deals?sort=title&cursor=${page.nextCursor}`);
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().code).toBe('invalid_cursor');
    expect((await get(token, '/api/v1/deals?limit=201')).statusCode).toBe(400);
    expect((await get(token, '/api/v1/deals?limit=0')).statusCode).toBe(400);
    expect((await get(token, '/api/v1/deals?sort=probability')).statusCode).toBe(400);
  });

  it('pages without duplicates or skips while deals are inserted between pages', async () => {
    const { token } = await session();
    const amounts = [500, 100, 900, 300, 700, 100, 500, 1100, 300];
    const original = new Set<string>();
    for (const amount of amounts) original.add((await deal(token, { title: `orig-${amount}`, amount })).id);
    for (const sort of ['amount', '-amount', 'createdAt', '-createdAt', 'expectedCloseDate']) {
      let n = 0;
      const seen = await allPages<Deal>(token, `/api/v1/deals?sort=${sort}&limit=2`, async (page) => {
        // New deals land before, between and after the rows already seen.
        if (page > 2) return;
        for (const amount of [0, 400, 2000])
          await deal(token, { title: `new-${sort}-${n++}`, amount, ...(n % 2 ? { expectedCloseDate: '2025-05-05' } : {}) });
      });
      const ids = seen.map((d) => d.id);
      expect(new Set(ids).size, sort).toBe(ids.length);
      expect(ids.filter((id) => original.has(id)).length, sort).toBe(original.size);
      // What was seen is in order.
      const keys = seen.map((d) =>
        sort.includes('amount') ? d.amount : sort.includes('created') ? Date.parse(d.createdAt as string) : (d.expectedCloseDate ?? '9999'),
      );
      const sorted = [...keys].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      expect(keys, sort).toEqual(sort.startsWith('-') ? sorted.reverse() : sorted);
    }
  });

  it('soft-deletes to the recycle bin and restores within 30 days only', async () => {
    const { tt, token } = await session();
    const d = await deal(token, { title: 'Binned' });
    expect((await call(token, 'DELETE', `/api/v1/deals/${d.id}`)).statusCode).toBe(204);
    expect((await get(token, `/api/v1/deals/${d.id}`)).statusCode).toBe(404);
    expect((await get(token, '/api/v1/deals')).json().items).toHaveLength(0);
    expect((await call(token, 'DELETE', `/api/v1/deals/${d.id}`)).statusCode).toBe(404);
    const raw = await sql<{ deleted_at: Date | null }>`select deleted_at from deals where id = ${d.id}`.execute(t.handle.db);
    expect(raw.rows[0]!.deleted_at).toBeInstanceOf(Date);
    const actor = await authenticate(t.handle.db, { ...t.config, keyring: t.keyring }, token);
    expect(await restoreFromBin(t.handle.db, t.keyring, actor, 'deals', d.id)).toEqual({ module: 'deals', id: d.id });
    // Into the bin and back out moved the version twice: a change made against the old one is stale.
    expect((await get(token, `/api/v1/deals/${d.id}`)).json()).toMatchObject({
      id: d.id,
      title: 'Binned',
      version: (d.version as number) + 2,
    });
    const stale = await call(token, 'PATCH', `/api/v1/deals/${d.id}`, { title: 'Stale', version: (d.version as number) + 1 });
    expect(stale.statusCode).toBe(409);
    await expect(restoreFromBin(t.handle.db, t.keyring, actor, 'deals', d.id)).rejects.toMatchObject({ code: 'not_in_recycle_bin' });
    await call(token, 'DELETE', `/api/v1/deals/${d.id}`);
    await sql`update deals set deleted_at = now() - interval '31 days' where id = ${d.id}`.execute(t.handle.db);
    await expect(restoreFromBin(t.handle.db, t.keyring, actor, 'deals', d.id)).rejects.toMatchObject({ code: 'restore_expired' });
    expect((await get(token, `/api/v1/deals/${d.id}`)).statusCode).toBe(404);
    expect(tt.tenant.id).toBe(actor.tenantId);
  });

  it("keeps another tenant's deals and pipelines out of reach: 404 for every verb, and no linking to them", async () => {
    const a = await session();
    const b = await session();
    const theirOrg = (await post(b.token, '/api/v1/organizations', { name: 'B Org' })).json();
    const theirContact = (await post(b.token, '/api/v1/contacts', { firstName: 'B', lastName: 'Person' })).json();
    const theirPipeline = (await post(b.token, '/api/v1/pipelines', { name: 'B pipe', stages: [{ name: 'S', probability: 5 }] })).json();
    const theirs = await deal(b.token, { title: 'B deal', organizationId: theirOrg.id, contactIds: [theirContact.id] });
    for (const [method, url, payload] of [
      ['GET', `/api/v1/deals/${theirs.id}`],
      ['PATCH', `/api/v1/deals/${theirs.id}`, { title: 'Hijack' }],
      ['DELETE', `/api/v1/deals/${theirs.id}`],
      ['GET', `/api/v1/deals/${theirs.id}/history`],
      ['GET', `/api/v1/pipelines/${theirPipeline.id}`],
      ['PATCH', `/api/v1/pipelines/${theirPipeline.id}`, { name: 'Hijack' }],
      ['DELETE', `/api/v1/pipelines/${theirPipeline.id}`],
    ] as Array<[Method, string, object?]>) {
      const res = await call(a.token, method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().code).toBe('record_not_found');
    }
    for (const link of [
      { organizationId: theirOrg.id },
      { contactIds: [theirContact.id] },
      { ownerId: b.tt.admin.id },
      { pipelineId: theirPipeline.id },
      { stageId: theirPipeline.stages[0].id },
    ]) {
      const res = await post(a.token, '/api/v1/deals', { title: 'Mine', amount: 1, currency: 'EUR', ...link });
      expect(res.statusCode, JSON.stringify(link)).toBe(400);
    }
    expect((await get(a.token, `/api/v1/deals?organizationId=${theirOrg.id}`)).json().items).toHaveLength(0);
    expect((await get(a.token, '/api/v1/deals')).json().items).toHaveLength(0);
    expect((await get(b.token, `/api/v1/deals/${theirs.id}`)).json()).toMatchObject({ title: 'B deal', version: 1 });
    expect((await pipelines(a.token)).map((p) => p.name)).toEqual(['Sales']);
  });
});

describe('pipelines', () => {
  it('creates with stages, renames, reorders, adds and removes stages by id', async () => {
    const { token } = await session();
    const res = await post(token, '/api/v1/pipelines', {
      name: 'Renewals',
      stages: [
        { name: 'Due', probability: 50 },
        { name: 'Quoted', probability: 80 },
        { name: 'Renewed', probability: 100, kind: 'won' },
      ],
    });
    expect(res.statusCode).toBe(201);
    const p: Pipeline = res.json();
    expect(p).toMatchObject({ name: 'Renewals', isDefault: false, version: 1 });
    const [due, quoted, renewed] = p.stages;
    const changed = await patch(token, `/api/v1/pipelines/${p.id}`, {
      name: 'Renewals 2025',
      stages: [
        { id: quoted!.id, name: 'Quote sent', probability: 75 },
        { id: due!.id, name: 'Due', probability: 50 },
        { name: 'Churned', probability: 0, kind: 'lost' },
      ],
    });
    expect(changed.statusCode, changed.body).toBe(200);
    const after: Pipeline = changed.json();
    expect(after.name).toBe('Renewals 2025');
    expect(after.version).toBe(2);
    expect(after.stages.map((s) => [s.name, s.probability, s.kind])).toEqual([
      ['Quote sent', 75, 'open'],
      ['Due', 50, 'open'],
      ['Churned', 0, 'lost'],
    ]);
    expect(after.stages[0]!.id).toBe(quoted!.id);
    expect(after.stages.some((s) => s.id === renewed!.id)).toBe(false);
    expect((await get(token, `/api/v1/pipelines/${p.id}`)).json()).toEqual(after);
    const stale = await patch(token, `/api/v1/pipelines/${p.id}`, { name: 'X', version: 1 });
    expect(stale.json().code).toBe('version_conflict');
  });

  it('refuses to remove a stage or pipeline that holds deals, and the default pipeline', async () => {
    const { token } = await session();
    const p: Pipeline = (
      await post(token, '/api/v1/pipelines', {
        name: 'Side',
        stages: [
          { name: 'A', probability: 10 },
          { name: 'B', probability: 20 },
        ],
      })
    ).json();
    const d = await deal(token, { pipelineId: p.id });
    expect(d.stageId).toBe(p.stages[0]!.id);
    const dropStage = await patch(token, `/api/v1/pipelines/${p.id}`, { stages: [{ id: p.stages[1]!.id, name: 'B', probability: 20 }] });
    expect(dropStage.statusCode).toBe(409);
    expect(dropStage.json().code).toBe('stage_in_use');
    const rekind = await patch(token, `/api/v1/pipelines/${p.id}`, {
      stages: [
        { id: p.stages[0]!.id, name: 'A', probability: 100, kind: 'won' },
        { id: p.stages[1]!.id, name: 'B', probability: 20 },
      ],
    });
    expect(rekind.json().code).toBe('stage_in_use');
    const foreignStage = await patch(token, `/api/v1/pipelines/${p.id}`, {
      stages: [{ id: '01900000-0000-7000-8000-000000000000', name: 'A', probability: 1 }],
    });
    expect(foreignStage.json().code).toBe('invalid_stage');
    const inUse = await call(token, 'DELETE', `/api/v1/pipelines/${p.id}`);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().code).toBe('pipeline_in_use');
    // A deal in the recycle bin still holds its pipeline.
    await call(token, 'DELETE', `/api/v1/deals/${d.id}`);
    expect((await call(token, 'DELETE', `/api/v1/pipelines/${p.id}`)).json().code).toBe('pipeline_in_use');

    const sales = (await pipelines(token)).find((x) => x.isDefault)!;
    const deleteDefault = await call(token, 'DELETE', `/api/v1/pipelines/${sales.id}`);
    expect(deleteDefault.statusCode).toBe(409);
    expect(deleteDefault.json().code).toBe('default_pipeline');
    expect((await patch(token, `/api/v1/pipelines/${sales.id}`, { isDefault: false })).statusCode).toBe(400);

    // Making another the default frees the old one; an empty pipeline can go.
    const empty: Pipeline = (
      await post(token, '/api/v1/pipelines', { name: 'Empty', stages: [{ name: 'X', probability: 1 }], isDefault: true })
    ).json();
    expect(empty.isDefault).toBe(true);
    const all = await pipelines(token);
    expect(all.filter((x) => x.isDefault).map((x) => x.id)).toEqual([empty.id]);
    expect((await deal(token)).pipelineId).toBe(empty.id);
    await patch(token, `/api/v1/pipelines/${sales.id}`, { isDefault: true });
    expect((await call(token, 'DELETE', `/api/v1/pipelines/${empty.id}`)).json().code).toBe('pipeline_in_use');
    const spare: Pipeline = (await post(token, '/api/v1/pipelines', { name: 'Spare', stages: [{ name: 'X', probability: 1 }] })).json();
    expect((await call(token, 'DELETE', `/api/v1/pipelines/${spare.id}`)).statusCode).toBe(204);
    expect((await get(token, `/api/v1/pipelines/${spare.id}`)).statusCode).toBe(404);
    expect((await pipelines(token)).map((x) => x.name)).toEqual(['Sales', 'Side', 'Empty']);
  });

  it('refuses bad stages', async () => {
    const { token } = await session();
    for (const stages of [
      [],
      [{ name: 'A', probability: 101 }],
      [{ name: 'A', probability: 5.5 }],
      [{ name: 'A', probability: 5, kind: 'maybe' }],
      [
        { name: 'A', probability: 5 },
        { name: 'a', probability: 6 },
      ],
    ]) {
      const res = await post(token, '/api/v1/pipelines', { name: 'Bad', stages });
      expect(res.statusCode, JSON.stringify(stages)).toBe(400);
      expect(['validation_failed', 'invalid_stage']).toContain(res.json().code);
    }
    expect((await pipelines(token)).map((p) => p.name)).toEqual(['Sales']);
  });

  it('gives a tenant exactly one default pipeline however many first requests race', async () => {
    const { tt, token } = await session();
    const answers = await Promise.all([
      get(token, '/api/v1/pipelines'),
      post(token, '/api/v1/deals', { title: 'x', amount: 1, currency: 'EUR' }),
      get(token, '/api/v1/pipelines'),
      post(token, '/api/v1/deals', { title: 'y', amount: 2, currency: 'EUR' }),
      get(token, '/api/v1/deals'),
    ]);
    expect(answers.map((r) => r.statusCode)).toEqual([200, 201, 200, 201, 200]);
    const rows = await sql<{ n: number; defaults: number }>`
      select count(*)::int as n, count(*) filter (where is_default)::int as defaults from pipelines where tenant_id = ${tt.tenant.id}`.execute(
      t.handle.db,
    );
    expect(rows.rows[0]).toEqual({ n: 1, defaults: 1 });
    const stages = await sql<{ n: number }>`select count(*)::int as n from pipeline_stages where tenant_id = ${tt.tenant.id}`.execute(
      t.handle.db,
    );
    expect(stages.rows[0]!.n).toBe(5);
  });

  it('describes the deal and pipeline bodies in the OpenAPI document with examples', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json();
    for (const path of ['/api/v1/deals', '/api/v1/pipelines', '/api/v1/activities', '/api/v1/email-messages']) {
      const body = doc.paths[path].post.requestBody.content['application/json'];
      expect(JSON.stringify(body), path).toMatch(/"examples?"/);
    }
    expect(doc.paths['/api/v1/deals/{id}/history'].get).toBeDefined();
  });
});
