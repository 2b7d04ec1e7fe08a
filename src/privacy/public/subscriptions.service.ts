import { createHash, createHmac, randomBytes } from 'node:crypto';
import { isSuppressed } from '../../crm/common/suppression.js';
import type { Kysely } from 'kysely';
import { recordChange, systemActor, type AuditActor } from '../../audit/recorder.js';
import type { Config } from '../../config.js';
import { createLeadFromSignup } from '../../crm/people/leads.service.js';
import { peopleWithEmail } from '../../crm/people/person-records.js';
import type { Database, Language } from '../../db/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import { activeTenantKey, tenantKey } from '../../keys/keys.service.js';
import { deriveKey, open, seal } from '../../keys/secret-box.js';
import { MailError } from '../../mail/mail.errors.js';
import { enqueueMail } from '../../mail/mail.service.js';
import { newId } from '../../shared/ids.js';
import { findActiveTenantBySlug, getTenant, type Tenant } from '../../tenants/tenants.service.js';
import { consentsOf, personOfSubject, recordConsentEvent } from '../ledger/consent.service.js';
import { readWithdrawalToken } from '../ledger/withdrawal-links.js';
import * as purposes from '../purposes/purposes.repository.js';
import * as repo from './subscriptions.repository.js';

/**
 * Public double opt-in and one-click withdrawal (issue 16).
 *
 * A sign-up is answered the same whatever happens to it, so the endpoint
 * reveals nothing (unknown tenant or purpose, honeypot, over a limit: nothing
 * is stored or sent). A stored sign-up waits, sealed, for its person to
 * confirm through the mailed link. Opening the link changes nothing — mail
 * scanners prefetch links — only the page's POST confirms, once: it finds
 * the person by e-mail among contacts and leads or creates a lead, and
 * appends a `confirm` to the consent ledger with the notice shown, the IP
 * address and the user agent.
 */

export type SubscriptionSettings = Pick<Config, 'publicUrl' | 'subscriptions'>;

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** Unconfirmed sign-ups are deleted this long after they were made (issue 16). */
export const UNCONFIRMED_KEPT_DAYS = 30;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const NOTICE_IN_MAIL = 600;

/** How a sign-up request ended; for logs and tests, never for the answer (always 202). */
export type SubscribeOutcome =
  'queued' | 'honeypot' | 'throttled' | 'unknown_tenant' | 'unknown_purpose' | 'invalid_address' | 'suppressed';

export interface SubscribeInput {
  tenantSlug: string;
  email: string;
  firstName?: string | undefined;
  purposeId: string;
  /** The honeypot: people leave it empty, form-filling bots do not. */
  website?: string | undefined;
  language: Language;
  ip?: string | undefined;
}

// --------------------------------------------------------------- keys and tokens

/** Keyed digests for throttle counts: the table holds neither addresses nor IPs, and guesses cannot be hashed. */
function throttleKey(keyring: Keyring, kind: 'address' | 'ip', value: string): Buffer {
  return createHmac('sha256', deriveKey(keyring.instanceKey, 'subscription-throttle')).update(`${kind}\0${value}`).digest();
}

/** A lock number for one address in one tenant: two confirmations of it run one after the other. */
function addressLock(keyring: Keyring, tenantId: string, email: string): bigint {
  return createHmac('sha256', deriveKey(keyring.instanceKey, 'subscription-lock'))
    .update(`${tenantId}\0${email}`)
    .digest()
    .readBigInt64BE(0);
}

function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

async function signupKey(db: Kysely<Database>, keyring: Keyring, tenantId: string, version: number): Promise<Buffer> {
  return deriveKey(await tenantKey(db, keyring, tenantId, version), 'consent-signup');
}

const sealContext = (tenantId: string, id: string, column: string) => `consent_signups|${tenantId}|${id}|${column}`;

export function confirmUrl(publicUrl: string, tenantSlug: string, token: string): string {
  return `${publicUrl}/api/v1/public/${encodeURIComponent(tenantSlug)}/subscriptions/confirm?token=${token}`;
}

function noticeSummary(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= NOTICE_IN_MAIL ? oneLine : `${oneLine.slice(0, NOTICE_IN_MAIL - 1).trimEnd()}…`;
}

// --------------------------------------------------------------- sign up

/**
 * Takes a public sign-up: counts it against the address and the IP (fixed
 * one-hour windows), then stores it and queues the confirmation mail in one
 * transaction. Whatever the outcome, the caller answers 202 alike.
 */
export async function subscribe(
  db: Kysely<Database>,
  keyring: Keyring,
  settings: SubscriptionSettings,
  input: SubscribeInput,
  now = new Date(),
): Promise<SubscribeOutcome> {
  if (input.website && input.website.trim() !== '') return 'honeypot';
  const email = input.email.trim().toLowerCase();
  const limits = settings.subscriptions;
  const byAddress = await repo.countAttempt(db, throttleKey(keyring, 'address', email), now, HOUR_MS);
  const byIp = input.ip ? await repo.countAttempt(db, throttleKey(keyring, 'ip', input.ip), now, HOUR_MS) : 0;
  if (byAddress > limits.perAddressPerHour || byIp > limits.perIpPerHour) return 'throttled';

  const tenant = await findActiveTenantBySlug(db, input.tenantSlug);
  if (!tenant) return 'unknown_tenant';
  const purpose = await purposes.findPurpose(db, tenant.id, input.purposeId);
  if (!purpose || purpose.status !== 'active' || purpose.lawful_basis !== 'consent') return 'unknown_purpose';
  const notice = await purposes.currentNotice(db, tenant.id, purpose.id, input.language);
  if (!notice) return 'unknown_purpose';
  // An erased person's address does not come back through the form: nothing is sent, the answer is the same 202.
  if (await isSuppressed(db, keyring, tenant.id, { emails: [email] })) return 'suppressed';

  const token = randomBytes(32).toString('base64url');
  const firstName = input.firstName?.replace(/\s+/g, ' ').trim() || null;
  try {
    await db.transaction().execute(async (trx) => {
      const id = newId();
      const { version } = await activeTenantKey(trx, keyring, tenant.id);
      const key = await signupKey(trx, keyring, tenant.id, version);
      const expiresAt = new Date(now.getTime() + limits.confirmDays * DAY_MS);
      await repo.insertSignup(trx, {
        tenant_id: tenant.id,
        id,
        purpose_id: purpose.id,
        notice_id: notice.id,
        language: input.language,
        key_version: version,
        email_enc: seal(key, email, sealContext(tenant.id, id, 'email')),
        first_name_enc: firstName ? seal(key, firstName, sealContext(tenant.id, id, 'first_name')) : null,
        token_hash: tokenHash(token),
        created_at: now,
        expires_at: expiresAt,
      });
      await enqueueMail(trx, {
        tenantId: tenant.id,
        to: email,
        template: 'consent_confirmation',
        locale: input.language,
        data: {
          name: firstName,
          tenantName: tenant.name,
          purposeName: purpose.name,
          notice: noticeSummary(notice.text),
          confirmUrl: confirmUrl(settings.publicUrl, tenant.slug, token),
          expiresDays: limits.confirmDays,
        },
        keyring,
      });
      await recordChange(trx, keyring, {
        tenantId: tenant.id,
        actor: { kind: 'anonymous', label: 'double opt-in' },
        action: 'subscription.requested',
        entity: 'consent_signups',
        entityId: id,
        details: { purposeId: purpose.id, noticeId: notice.id, language: input.language },
      });
    });
  } catch (error) {
    if (error instanceof MailError && error.code === 'mail_recipient_invalid') return 'invalid_address';
    throw error;
  }
  return 'queued';
}

// --------------------------------------------------------------- confirm

/** What a confirmation link stands for, as its pages show it. */
export type SignupState = 'pending' | 'confirmed' | 'expired' | 'invalid' | 'unavailable';

export interface SignupView {
  state: SignupState;
  /** Null when the link names no tenant we know (the page then names nobody). */
  tenantName: string | null;
  /** The language the person signed up in, when known. */
  language: Language | null;
  purposeName: string | null;
  /** The notice the person signed up on (pending only): what confirming agrees to. */
  notice: string | null;
}

const nothing = (tenant: Tenant | undefined, state: SignupState, language: Language | null = null): SignupView => ({
  state,
  tenantName: tenant?.name ?? null,
  language,
  purposeName: null,
  notice: null,
});

async function lookUp(db: Kysely<Database>, tenant: Tenant | undefined, token: string, forUpdate: boolean) {
  if (!tenant || !TOKEN.test(token)) return undefined;
  const row = await repo.findSignupByTokenHash(db, tokenHash(token), { forUpdate });
  return row?.tenant_id === tenant.id ? row : undefined;
}

/** What a confirmation link's page shows (GET): reads only, so a prefetching scanner confirms nothing. */
export async function signupForToken(db: Kysely<Database>, tenantSlug: string, token: string, now = new Date()): Promise<SignupView> {
  const tenant = await findActiveTenantBySlug(db, tenantSlug);
  const row = await lookUp(db, tenant, token, false);
  if (!row) return nothing(tenant, 'invalid');
  if (row.confirmed_at) return nothing(tenant, 'confirmed', row.language);
  if (row.expires_at <= now) return nothing(tenant, 'expired', row.language);
  const purpose = await purposes.findPurpose(db, row.tenant_id, row.purpose_id);
  const notice = await purposes.findNotice(db, row.tenant_id, row.notice_id);
  if (!purpose || purpose.status !== 'active' || !notice) return nothing(tenant, 'unavailable', row.language);
  return { state: 'pending', tenantName: tenant!.name, language: row.language, purposeName: purpose.name, notice: notice.text };
}

export interface PublicAct {
  tenantSlug: string;
  token: string;
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

/**
 * Confirms a sign-up (the page's POST), once: in one transaction the sign-up
 * is marked used, the person is found by e-mail (contacts first, then leads)
 * or created as a lead, and the consent is confirmed in the ledger with the
 * notice shown, IP address and user agent. Anything else changes nothing.
 */
export async function confirmSignup(
  db: Kysely<Database>,
  keyring: Keyring,
  act: PublicAct,
  now = new Date(),
): Promise<SignupView & { person?: { table: 'contacts' | 'leads'; id: string; created: boolean } }> {
  return db.transaction().execute(async (trx) => {
    const tenant = await findActiveTenantBySlug(trx, act.tenantSlug);
    const row = await lookUp(trx, tenant, act.token, true);
    if (!row) return nothing(tenant, 'invalid');
    if (row.confirmed_at) return nothing(tenant, 'confirmed', row.language);
    if (row.expires_at <= now) return nothing(tenant, 'expired', row.language);
    const purpose = await purposes.findPurpose(trx, row.tenant_id, row.purpose_id);
    if (!purpose || purpose.status !== 'active') return nothing(tenant, 'unavailable', row.language);
    const ownerId = await repo.firstActiveAdminId(trx, row.tenant_id);
    if (!ownerId) return nothing(tenant, 'unavailable', row.language);

    const key = await signupKey(trx, keyring, row.tenant_id, row.key_version);
    const email = open(key, row.email_enc!, sealContext(row.tenant_id, row.id, 'email')).toString('utf8');
    const firstName = row.first_name_enc
      ? open(key, row.first_name_enc, sealContext(row.tenant_id, row.id, 'first_name')).toString('utf8')
      : null;

    // Erased since the sign-up: the link confirms nothing.
    if (await isSuppressed(trx, keyring, row.tenant_id, { emails: [email] })) return nothing(tenant, 'unavailable', row.language);
    // Never a duplicate: confirmations of one address wait for each other before they look.
    await repo.lockNumber(trx, addressLock(keyring, row.tenant_id, email));
    const [existing] = await peopleWithEmail(trx, keyring, row.tenant_id, email);
    const person: { table: 'contacts' | 'leads'; id: string; subjectId: string } = existing ?? {
      table: 'leads',
      ...(await createLeadFromSignup(
        trx,
        keyring,
        { tenantId: row.tenant_id, ownerId, actor: { kind: 'subject', label: 'double opt-in' } },
        // A lead needs a name: without one the address's local part stands in until staff change it.
        { firstName: firstName ?? email.split('@')[0]!, email, language: row.language },
      )),
    };

    const actor: AuditActor = {
      kind: 'subject',
      subjectId: person.subjectId,
      label: 'double opt-in',
      origin: { ip: act.ip ?? null, userAgent: act.userAgent ?? null, requestId: act.requestId ?? null },
    };
    await recordConsentEvent(trx, keyring, {
      tenantId: row.tenant_id,
      subjectId: person.subjectId,
      person: { table: person.table, id: person.id },
      purposeId: purpose.id,
      action: 'confirm',
      source: 'double_opt_in',
      noticeId: row.notice_id,
      language: row.language,
      ip: act.ip ?? null,
      userAgent: act.userAgent ?? null,
      actor,
    });
    await repo.markConfirmed(trx, row.tenant_id, row.id, now);
    return {
      state: 'confirmed' as const,
      tenantName: tenant!.name,
      language: row.language,
      purposeName: purpose.name,
      notice: null,
      person: { table: person.table, id: person.id, created: !existing },
    };
  });
}

// --------------------------------------------------------------- withdraw

export type WithdrawalState = 'subscribed' | 'withdrawn' | 'already_withdrawn' | 'invalid';

export interface WithdrawalView {
  state: WithdrawalState;
  tenantName: string | null;
  purposeName: string | null;
}

/** The tenant a withdrawal link names: withdrawing works while a tenant is suspended too, not once it is terminated. */
async function tenantForWithdrawal(db: Kysely<Database>, slug: string): Promise<Tenant | undefined> {
  try {
    const tenant = await getTenant(db, slug);
    return tenant.status === 'terminated' ? undefined : tenant;
  } catch {
    return undefined;
  }
}

async function withdrawalTarget(db: Kysely<Database>, keyring: Keyring, tenant: Tenant | undefined, token: string) {
  if (!tenant) return undefined;
  const named = readWithdrawalToken(keyring, tenant.id, token);
  if (!named) return undefined;
  const purpose = await purposes.findPurpose(db, tenant.id, named.purposeId);
  const person = await personOfSubject(db, tenant.id, named.subjectId);
  if (!purpose || !person) return undefined;
  const consents = await consentsOf(db, keyring, tenant.id, named.subjectId);
  const granted = consents.current.find((c) => c.purposeId === purpose.id)?.status === 'granted';
  return { subjectId: named.subjectId, purpose, person, granted };
}

/** What a withdrawal link's page shows (GET): reads only. */
export async function withdrawalForToken(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantSlug: string,
  token: string,
): Promise<WithdrawalView> {
  const tenant = await tenantForWithdrawal(db, tenantSlug);
  const target = await withdrawalTarget(db, keyring, tenant, token);
  if (!target) return { state: 'invalid', tenantName: tenant?.name ?? null, purposeName: null };
  return { state: target.granted ? 'subscribed' : 'already_withdrawn', tenantName: tenant!.name, purposeName: target.purpose.name };
}

/**
 * Withdraws at once (the page's button, or a mail client's RFC 8058 one-click
 * POST): a `withdraw` event with IP address and user agent. Already withdrawn,
 * or never given: says so and writes nothing.
 */
export async function withdrawByLink(db: Kysely<Database>, keyring: Keyring, act: PublicAct): Promise<WithdrawalView> {
  return db.transaction().execute(async (trx) => {
    const tenant = await tenantForWithdrawal(trx, act.tenantSlug);
    const named = tenant ? readWithdrawalToken(keyring, tenant.id, act.token) : null;
    // Two clicks at once: the second waits, then finds the consent withdrawn.
    if (named) await repo.lockNumber(trx, addressLock(keyring, tenant!.id, `${named.subjectId}|${named.purposeId}`));
    const target = await withdrawalTarget(trx, keyring, tenant, act.token);
    if (!target) return { state: 'invalid' as const, tenantName: tenant?.name ?? null, purposeName: null };
    if (!target.granted) return { state: 'already_withdrawn' as const, tenantName: tenant!.name, purposeName: target.purpose.name };
    await recordConsentEvent(trx, keyring, {
      tenantId: tenant!.id,
      subjectId: target.subjectId,
      person: target.person,
      purposeId: target.purpose.id,
      action: 'withdraw',
      source: 'form',
      ip: act.ip ?? null,
      userAgent: act.userAgent ?? null,
      actor: {
        kind: 'subject',
        subjectId: target.subjectId,
        label: 'withdrawal link',
        origin: { ip: act.ip ?? null, userAgent: act.userAgent ?? null, requestId: act.requestId ?? null },
      },
    });
    return { state: 'withdrawn' as const, tenantName: tenant!.name, purposeName: target.purpose.name };
  });
}

// --------------------------------------------------------------- the sign-up form

export interface SignupForm {
  tenantName: string;
  tenantSlug: string;
  purposeId: string;
  purposeName: string;
  notice: string;
}

/** What the public sign-up form shows for a purpose, or undefined when there is no such active consent purpose. */
export async function signupForm(
  db: Kysely<Database>,
  tenantSlug: string,
  purposeId: string,
  language: Language,
): Promise<SignupForm | undefined> {
  const tenant = await findActiveTenantBySlug(db, tenantSlug);
  if (!tenant) return undefined;
  const purpose = await purposes.findPurpose(db, tenant.id, purposeId);
  if (!purpose || purpose.status !== 'active' || purpose.lawful_basis !== 'consent') return undefined;
  const notice = await purposes.currentNotice(db, tenant.id, purpose.id, language);
  if (!notice) return undefined;
  return { tenantName: tenant.name, tenantSlug: tenant.slug, purposeId: purpose.id, purposeName: purpose.name, notice: notice.text };
}

// --------------------------------------------------------------- purge

/**
 * Deletes sign-ups never confirmed within 30 days, confirmed ones whose link
 * has expired, and throttle counts of past windows; each tenant's count of
 * purged sign-ups is recorded. Idempotent: every node may run it.
 */
export async function purgeSignups(
  db: Kysely<Database>,
  keyring: Keyring,
  now = new Date(),
): Promise<{ unconfirmed: number; used: number; throttles: number }> {
  return db.transaction().execute(async (trx) => {
    const purged = await repo.purgeSignups(trx, {
      now,
      unconfirmedBefore: new Date(now.getTime() - UNCONFIRMED_KEPT_DAYS * DAY_MS),
      throttleBefore: new Date(now.getTime() - HOUR_MS),
    });
    const perTenant = new Map<string, number>();
    for (const row of purged.unconfirmed) perTenant.set(row.tenant_id, (perTenant.get(row.tenant_id) ?? 0) + 1);
    for (const [tenantId, count] of perTenant)
      await recordChange(trx, keyring, {
        tenantId,
        actor: systemActor('signup purge'),
        action: 'subscription.purged',
        entity: 'consent_signups',
        details: { count, olderThanDays: UNCONFIRMED_KEPT_DAYS },
      });
    return { unconfirmed: purged.unconfirmed.length, used: purged.used, throttles: purged.throttles };
  });
}

/**
 * Erasure reaches sign-ups not yet confirmed: the pending rows of these
 * addresses go (opened one by one, since the address is sealed). Answers how
 * many. Pass the erasure's transaction.
 */
export async function forgetPendingSignups(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  emails: readonly string[],
): Promise<number> {
  const wanted = new Set(emails.map((e) => e.trim().toLowerCase()));
  if (wanted.size === 0) return 0;
  const rows = await db
    .selectFrom('consent_signups')
    .select(['id', 'key_version', 'email_enc'])
    .where('tenant_id', '=', tenantId)
    .where('email_enc', 'is not', null)
    .execute();
  const doomed: string[] = [];
  for (const row of rows) {
    const key = await signupKey(db, keyring, tenantId, row.key_version);
    if (
      wanted.has(
        open(key, row.email_enc!, sealContext(tenantId, row.id, 'email'))
          .toString('utf8')
          .toLowerCase(),
      )
    )
      doomed.push(row.id);
  }
  if (doomed.length > 0) await db.deleteFrom('consent_signups').where('tenant_id', '=', tenantId).where('id', 'in', doomed).execute();
  return doomed.length;
}
