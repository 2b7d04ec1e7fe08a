import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bearer, signInAdmin } from '../../../test/auth.js';
import { createTestTenant } from '../../../test/factories.js';
import { useTestServer } from '../../../test/server.js';
import { systemActor } from '../../audit/recorder.js';
import { newId } from '../../shared/ids.js';
import * as repo from './consent.repository.js';
import { consentsOf, grantedSubjects, recordConsentEvent } from './consent.service.js';
import { readWithdrawalToken, withdrawalToken } from './withdrawal-links.js';

// The ledger's core rules, below the HTTP routes: append-only in the database,
// state derived from the newest event, objection to marketing, proof sealed.

const t = useTestServer();

async function setup() {
  const tt = await createTestTenant(t.handle.db);
  const token = await signInAdmin(t.app, tt);
  const contact = (
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: bearer(token),
      payload: { firstName: 'Ada', lastName: 'Ledger' },
    })
  ).json();
  const row = await t.handle.db.selectFrom('contacts').select('subject_id').where('id', '=', contact.id).executeTakeFirstOrThrow();
  const purpose = async (name: string, marketing: boolean, lawfulBasis: 'consent' | 'contract' = 'consent') => {
    const id = newId();
    await t.handle.db
      .insertInto('purposes')
      .values({
        tenant_id: tt.tenant.id,
        id,
        name,
        lawful_basis: lawfulBasis,
        retention_days: 365,
        marketing,
        data_categories: '["contact details"]',
      })
      .execute();
    return id;
  };
  const notice = async (purposeId: string, text: string) => {
    const id = newId();
    const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
    await t.handle.db
      .insertInto('privacy_notices')
      .values({ tenant_id: tt.tenant.id, id, purpose_id: purposeId, language: 'en', version: 1, text, sha256 })
      .execute();
    return { id, sha256 };
  };
  const base = {
    tenantId: tt.tenant.id,
    subjectId: row.subject_id,
    person: { table: 'contacts' as const, id: contact.id },
    actor: systemActor('test'),
  };
  return { tt, contact, subjectId: row.subject_id, purpose, notice, base };
}

describe('consent ledger', () => {
  it('derives the current state from the newest event and keeps the proof sealed under the person key', async () => {
    const { tt, subjectId, purpose, notice, base } = await setup();
    const news = await purpose('Newsletter', true);
    const shown = await notice(news, 'We send a monthly newsletter.');
    await t.handle.db.transaction().execute(async (trx) => {
      await recordConsentEvent(trx, t.keyring, {
        ...base,
        purposeId: news,
        action: 'confirm',
        source: 'double_opt_in',
        ip: '198.51.100.7',
        userAgent: 'Mozilla/5.0 test',
      });
    });
    let consents = await consentsOf(t.handle.db, t.keyring, tt.tenant.id, subjectId);
    expect(consents.current).toEqual([expect.objectContaining({ purposeId: news, status: 'granted', source: 'double_opt_in' })]);
    expect(consents.items[0]).toMatchObject({
      action: 'confirm',
      noticeHash: shown.sha256,
      ip: '198.51.100.7',
      userAgent: 'Mozilla/5.0 test',
    });

    const stored = await t.handle.db
      .selectFrom('consent_events')
      .selectAll()
      .where('tenant_id', '=', tt.tenant.id)
      .executeTakeFirstOrThrow();
    expect(stored.ip_enc).not.toBeNull();
    expect(Buffer.from(stored.ip_enc!).includes(Buffer.from('198.51.100.7'))).toBe(false);

    await recordConsentEvent(t.handle.db, t.keyring, { ...base, purposeId: news, action: 'withdraw', source: 'staff' });
    consents = await consentsOf(t.handle.db, t.keyring, tt.tenant.id, subjectId);
    expect(consents.current[0]?.status).toBe('withdrawn');
    expect(consents.items.map((e) => e.action)).toEqual(['withdraw', 'confirm']);
    expect(await grantedSubjects(t.handle.db, tt.tenant.id, news, [subjectId])).toEqual(new Set());
  });

  it('refuses a consent grant without a notice, and to a retired purpose', async () => {
    const { base, purpose } = await setup();
    const noNotice = await purpose('Profiling', false);
    await expect(
      recordConsentEvent(t.handle.db, t.keyring, { ...base, purposeId: noNotice, action: 'grant', source: 'staff' }),
    ).rejects.toMatchObject({
      code: 'notice_required',
    });
    const contract = await purpose('Delivery', false, 'contract');
    await t.handle.db.updateTable('purposes').set({ status: 'retired' }).where('id', '=', contract).execute();
    await expect(
      recordConsentEvent(t.handle.db, t.keyring, { ...base, purposeId: contract, action: 'grant', source: 'staff' }),
    ).rejects.toMatchObject({
      code: 'purpose_retired',
    });
  });

  it('an objection withdraws every marketing purpose and blocks grants by staff, not the person own opt-in', async () => {
    const { tt, subjectId, purpose, notice, base } = await setup();
    const news = await purpose('Newsletter', true);
    const offers = await purpose('Offers', true);
    await notice(news, 'Newsletter notice');
    await notice(offers, 'Offers notice');
    await recordConsentEvent(t.handle.db, t.keyring, { ...base, purposeId: news, action: 'grant', source: 'staff' });
    await recordConsentEvent(t.handle.db, t.keyring, { ...base, purposeId: offers, action: 'grant', source: 'api' });
    await recordConsentEvent(t.handle.db, t.keyring, { ...base, purposeId: null, action: 'object', source: 'staff' });
    const after = await consentsOf(t.handle.db, t.keyring, tt.tenant.id, subjectId);
    expect(after.objectedToMarketingAt).toBeInstanceOf(Date);
    expect(after.current.every((s) => s.status === 'withdrawn')).toBe(true);
    await expect(
      recordConsentEvent(t.handle.db, t.keyring, { ...base, purposeId: news, action: 'grant', source: 'staff' }),
    ).rejects.toMatchObject({
      code: 'marketing_objection',
    });
    await recordConsentEvent(t.handle.db, t.keyring, { ...base, purposeId: news, action: 'confirm', source: 'double_opt_in' });
    expect(await grantedSubjects(t.handle.db, tt.tenant.id, news, [subjectId])).toEqual(new Set([subjectId]));
  });

  it('has no update or delete path: the database refuses both, except inside an erasure', async () => {
    const { tt, purpose, notice, base } = await setup();
    const news = await purpose('Newsletter', true);
    await notice(news, 'Newsletter notice');
    const [event] = await recordConsentEvent(t.handle.db, t.keyring, { ...base, purposeId: news, action: 'grant', source: 'staff' });
    expect(Object.keys(repo).filter((name) => /update|delete|remove|set/i.test(name))).toEqual([]);
    await expect(
      t.handle.db.updateTable('consent_events').set({ action: 'withdraw' }).where('id', '=', event!.id).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(t.handle.db.deleteFrom('consent_events').where('id', '=', event!.id).execute()).rejects.toThrow(/append-only/);
    const still = await t.handle.db.selectFrom('consent_events').select('action').where('id', '=', event!.id).executeTakeFirstOrThrow();
    expect(still.action).toBe('grant');
    await t.handle.db.transaction().execute(async (trx) => {
      await sql`select set_config('custodia.ledger_delete', 'erase', true)`.execute(trx);
      await trx.deleteFrom('consent_events').where('tenant_id', '=', tt.tenant.id).execute();
    });
    expect(await t.handle.db.selectFrom('consent_events').select('id').where('tenant_id', '=', tt.tenant.id).execute()).toEqual([]);
  });

  it('is append-only in the database itself, on this server too: raw SQL is refused, and an erasure only opens it for its own transaction', async () => {
    const { tt, purpose, notice, base } = await setup();
    const news = await purpose('Newsletter', true);
    await notice(news, 'Newsletter notice');
    const [event] = await recordConsentEvent(t.handle.db, t.keyring, { ...base, purposeId: news, action: 'grant', source: 'staff' });
    // The trigger is there and enabled (tgenabled 'O': fires in the origin role, i.e. always for the app).
    const trigger = await sql<{ tgenabled: string }>`
      select tgenabled from pg_trigger
      where tgrelid = 'consent_events'::regclass and tgname in ('consent_events_append_only', 'consent_events_no_truncate')`.execute(
      t.handle.db,
    );
    expect(trigger.rows).toEqual([{ tgenabled: 'O' }, { tgenabled: 'O' }]);
    // Past the query builder: plain SQL, with the refusal's SQLSTATE.
    for (const statement of [
      sql`update consent_events set action = 'withdraw' where id = ${event!.id}`,
      sql`update consent_events set ip_enc = null, user_agent_enc = null where tenant_id = ${tt.tenant.id}`,
      sql`delete from consent_events where id = ${event!.id}`,
      // No row trigger fires on TRUNCATE: a statement trigger of its own refuses it (migration 0024).
      sql`truncate consent_events`,
    ])
      await expect(statement.execute(t.handle.db)).rejects.toMatchObject({ code: 'P0001' });
    // Another value of the setting does not open it.
    await expect(
      t.handle.db.transaction().execute(async (trx) => {
        await sql`select set_config('custodia.ledger_delete', 'yes', true)`.execute(trx);
        await trx.deleteFrom('consent_events').where('id', '=', event!.id).execute();
      }),
    ).rejects.toThrow(/append-only/);
    // Even inside an erasure, an UPDATE is refused: erasure removes events, it never rewrites them.
    await expect(
      t.handle.db.transaction().execute(async (trx) => {
        await sql`select set_config('custodia.ledger_delete', 'erase', true)`.execute(trx);
        await trx.updateTable('consent_events').set({ source: 'api' }).where('id', '=', event!.id).execute();
      }),
    ).rejects.toThrow(/append-only/);
    // An erasure that rolls back removes nothing; and once an erasure transaction is over, the ledger is closed again.
    await expect(
      t.handle.db.transaction().execute(async (trx) => {
        await sql`select set_config('custodia.ledger_delete', 'erase', true)`.execute(trx);
        await trx.deleteFrom('consent_events').where('id', '=', event!.id).execute();
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const [second] = await recordConsentEvent(t.handle.db, t.keyring, { ...base, purposeId: news, action: 'withdraw', source: 'staff' });
    await t.handle.db.transaction().execute(async (trx) => {
      await sql`select set_config('custodia.ledger_delete', 'erase', true)`.execute(trx);
      await trx.deleteFrom('consent_events').where('id', '=', second!.id).execute();
    });
    await expect(t.handle.db.deleteFrom('consent_events').where('id', '=', event!.id).execute()).rejects.toThrow(/append-only/);
    const left = await t.handle.db.selectFrom('consent_events').select(['id', 'action']).where('tenant_id', '=', tt.tenant.id).execute();
    expect(left).toEqual([{ id: event!.id, action: 'grant' }]);
  });

  it('withdrawal tokens name subject and purpose, and fail for another tenant or when altered', () => {
    const tenant = newId();
    const subject = newId();
    const purpose = newId();
    const token = withdrawalToken(t.keyring, tenant, subject, purpose);
    expect(readWithdrawalToken(t.keyring, tenant, token)).toEqual({ subjectId: subject, purposeId: purpose });
    expect(readWithdrawalToken(t.keyring, newId(), token)).toBeNull();
    const altered = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
    expect(readWithdrawalToken(t.keyring, tenant, altered)).toBeNull();
    expect(readWithdrawalToken(t.keyring, tenant, 'not a token')).toBeNull();
  });
});
