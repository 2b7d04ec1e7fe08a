import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { requirePermission } from '../../access/access.service.js';
import { recordChange, type AuditActor } from '../../audit/recorder.js';
import type { Config } from '../../config.js';
import { isSuppressed } from '../../crm/common/suppression.js';
import { peopleWithEmail } from '../../crm/people/person-records.js';
import type { Database, Language, PrivacyRequestType } from '../../db/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import { activeTenantKey, recordsSubjectId, sealField, tenantKey } from '../../keys/keys.service.js';
import { deriveKey, open, seal } from '../../keys/secret-box.js';
import { MailError } from '../../mail/mail.errors.js';
import { enqueueMail } from '../../mail/mail.service.js';
import type { Authenticated } from '../../shared/actor.js';
import { newId } from '../../shared/ids.js';
import { findActiveTenantBySlug, type Tenant } from '../../tenants/tenants.service.js';
import { countAttempt } from '../public/subscriptions.repository.js';
import { dueDateFor, utcDate } from '../requests/due-date.js';
import * as requests from '../requests/requests.repository.js';
import { recordStep, requestReference } from '../requests/requests.service.js';
import * as repo from './public-requests.repository.js';

/** Where the tenant's public request form is (a path on this server), for staff to publish; privacy `view`. */
export async function publicFormPath(db: Kysely<Database>, actor: Authenticated): Promise<string> {
  await requirePermission(db, actor, 'privacy', 'view');
  const slug = await repo.tenantSlugOf(db, actor.tenantId);
  return `/api/v1/public/${encodeURIComponent(slug ?? '')}/requests/new`;
}

/**
 * The public request form (issue 17): a person files a data-subject request
 * with their e-mail address. Like double opt-in, filing answers the same
 * whatever happens (unknown tenant, honeypot, over a limit, a suppressed
 * address: nothing is stored or sent), and a request waits, sealed, until its
 * person proves control of the address through the mailed link. Opening the
 * link changes nothing — mail scanners prefetch links — only the page's POST
 * opens the case, once: received now, verified by `email_link`, linked to the
 * contact or lead with that address when exactly one person has it. The
 * person then gets a receipt with the case's reference and due date.
 */

export type PublicRequestSettings = Pick<Config, 'publicUrl' | 'subscriptions'>;

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** Links are deleted this long after they were made, used or not. */
export const LINKS_KEPT_DAYS = 30;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** How a filing ended; for logs and tests, never for the answer (always 202). */
export type FileOutcome = 'queued' | 'honeypot' | 'throttled' | 'unknown_tenant' | 'suppressed' | 'invalid_address';

export interface FileRequestInput {
  tenantSlug: string;
  email: string;
  type: PrivacyRequestType;
  /** The honeypot: people leave it empty, form-filling bots do not. */
  website?: string | undefined;
  language: Language;
  ip?: string | undefined;
}

/** Keyed digests for throttle counts (shared table with double opt-in, own key): neither addresses nor IPs are stored. */
function throttleKey(keyring: Keyring, kind: 'address' | 'ip', value: string): Buffer {
  return createHmac('sha256', deriveKey(keyring.instanceKey, 'public-request-throttle')).update(`${kind}\0${value}`).digest();
}

function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

async function linkKey(db: Kysely<Database>, keyring: Keyring, tenantId: string, version: number): Promise<Buffer> {
  return deriveKey(await tenantKey(db, keyring, tenantId, version), 'public-request');
}

const sealContext = (tenantId: string, id: string) => `public_request_links|${tenantId}|${id}|email`;

export function verifyUrl(publicUrl: string, tenantSlug: string, token: string): string {
  return `${publicUrl}/api/v1/public/${encodeURIComponent(tenantSlug)}/requests/verify?token=${token}`;
}

const ANONYMOUS: AuditActor = { kind: 'anonymous', label: 'public request form' };

/**
 * Takes a request from the public form: counts it against the address and
 * the IP (one-hour windows, the double opt-in limits), then stores it and
 * queues the verification mail in one transaction.
 */
export async function fileRequest(
  db: Kysely<Database>,
  keyring: Keyring,
  settings: PublicRequestSettings,
  input: FileRequestInput,
  now = new Date(),
): Promise<FileOutcome> {
  if (input.website && input.website.trim() !== '') return 'honeypot';
  const email = input.email.trim().toLowerCase();
  const limits = settings.subscriptions;
  const byAddress = await countAttempt(db, throttleKey(keyring, 'address', email), now, HOUR_MS);
  const byIp = input.ip ? await countAttempt(db, throttleKey(keyring, 'ip', input.ip), now, HOUR_MS) : 0;
  if (byAddress > limits.perAddressPerHour || byIp > limits.perIpPerHour) return 'throttled';

  const tenant = await findActiveTenantBySlug(db, input.tenantSlug);
  if (!tenant) return 'unknown_tenant';
  // An erased person's address: nothing of them is held to give, correct, erase or restrict, and
  // mailing the address would process it again. The fact is recorded, nothing personal.
  if (await isSuppressed(db, keyring, tenant.id, { emails: [email], phones: [] })) {
    await recordChange(db, keyring, {
      tenantId: tenant.id,
      actor: ANONYMOUS,
      action: 'privacy_request.public_suppressed',
      entity: 'public_request_links',
      details: { type: input.type },
    });
    return 'suppressed';
  }

  const token = randomBytes(32).toString('base64url');
  try {
    await db.transaction().execute(async (trx) => {
      const id = newId();
      const { version } = await activeTenantKey(trx, keyring, tenant.id);
      const key = await linkKey(trx, keyring, tenant.id, version);
      await repo.insertLink(trx, {
        tenant_id: tenant.id,
        id,
        type: input.type,
        language: input.language,
        key_version: version,
        email_enc: seal(key, email, sealContext(tenant.id, id)),
        token_hash: tokenHash(token),
        created_at: now,
        expires_at: new Date(now.getTime() + limits.confirmDays * DAY_MS),
      });
      await enqueueMail(trx, {
        tenantId: tenant.id,
        to: email,
        template: 'privacy_request_verify',
        locale: input.language,
        data: {
          tenantName: tenant.name,
          type: input.type,
          confirmUrl: verifyUrl(settings.publicUrl, tenant.slug, token),
          expiresDays: limits.confirmDays,
        },
        keyring,
      });
      await recordChange(trx, keyring, {
        tenantId: tenant.id,
        actor: ANONYMOUS,
        action: 'privacy_request.link_sent',
        entity: 'public_request_links',
        entityId: id,
        details: { type: input.type, language: input.language },
      });
    });
  } catch (error) {
    if (error instanceof MailError && error.code === 'mail_recipient_invalid') return 'invalid_address';
    throw error;
  }
  return 'queued';
}

/** What a verification link stands for, as its pages show it. */
export type LinkState = 'pending' | 'used' | 'expired' | 'invalid';

export interface LinkView {
  state: LinkState;
  /** Null when the link names no tenant we know (the page then names nobody). */
  tenantName: string | null;
  language: Language | null;
  type: PrivacyRequestType | null;
}

export interface OpenedCase {
  reference: string;
  dueAt: string;
}

const nothing = (tenant: Tenant | undefined, state: LinkState, row?: repo.RequestLinkRow): LinkView => ({
  state,
  tenantName: tenant?.name ?? null,
  language: row?.language ?? null,
  type: row?.type ?? null,
});

async function lookUp(db: Kysely<Database>, tenant: Tenant | undefined, token: string, forUpdate: boolean) {
  if (!tenant || !TOKEN.test(token)) return undefined;
  const row = await repo.findLinkByTokenHash(db, tokenHash(token), { forUpdate });
  return row?.tenant_id === tenant.id ? row : undefined;
}

function stateOf(row: repo.RequestLinkRow, now: Date): LinkState {
  if (row.used_at) return 'used';
  if (row.expires_at <= now) return 'expired';
  return 'pending';
}

/** What a verification link's page shows (GET): reads only, so a prefetching scanner opens nothing. */
export async function linkForToken(db: Kysely<Database>, tenantSlug: string, token: string, now = new Date()): Promise<LinkView> {
  const tenant = await findActiveTenantBySlug(db, tenantSlug);
  const row = await lookUp(db, tenant, token, false);
  if (!row) return nothing(tenant, 'invalid');
  return nothing(tenant, stateOf(row, now), row);
}

export interface PublicAct {
  tenantSlug: string;
  token: string;
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

/**
 * Opens the case (the page's POST), once: in one transaction the link is
 * marked used, the case is opened as received and verified by e-mail link,
 * linked to the one person with that address (if exactly one has it), and
 * the receipt is queued. Anything else changes nothing.
 */
export async function confirmPublicRequest(
  db: Kysely<Database>,
  keyring: Keyring,
  act: PublicAct,
  now = new Date(),
): Promise<LinkView & { opened?: OpenedCase }> {
  return db.transaction().execute(async (trx) => {
    const tenant = await findActiveTenantBySlug(trx, act.tenantSlug);
    const link = await lookUp(trx, tenant, act.token, true);
    if (!link) return nothing(tenant, 'invalid');
    const state = stateOf(link, now);
    if (state !== 'pending') return nothing(tenant, state, link);

    const key = await linkKey(trx, keyring, link.tenant_id, link.key_version);
    const email = open(key, link.email_enc!, sealContext(link.tenant_id, link.id)).toString('utf8');
    const found = await peopleWithEmail(trx, keyring, link.tenant_id, email);
    // A lead and the contact it became are one person (one subject); the contact is linked then.
    const subjects = new Set(found.map((p) => p.subjectId));
    const person = subjects.size === 1 ? found[0] : undefined;

    const id = newId();
    const sealSubjectId = person?.subjectId ?? (await recordsSubjectId(trx, keyring, link.tenant_id));
    const due = dueDateFor(now);
    const origin = { ip: act.ip ?? null, userAgent: act.userAgent ?? null, requestId: act.requestId ?? null };
    const actor: AuditActor = person
      ? { kind: 'subject', subjectId: person.subjectId, label: 'public request form', origin }
      : { ...ANONYMOUS, origin };
    const row = await requests.insertRequest(trx, {
      tenant_id: link.tenant_id,
      id,
      type: link.type,
      channel: 'web_form',
      person_table: person?.table ?? null,
      person_id: person?.id ?? null,
      subject_id: person?.subjectId ?? null,
      seal_subject_id: sealSubjectId,
      email_enc: await sealField(
        trx,
        keyring,
        { tenantId: link.tenant_id, subjectId: sealSubjectId, table: 'privacy_requests', rowId: id, field: 'email' },
        email,
      ),
      received_at: now,
      original_due_date: due,
      due_date: due,
      created_by: null,
    });
    await recordStep(trx, keyring, row, actor, {
      action: 'received',
      to: 'received',
      details: { channel: 'web_form', dueDate: due, linkedBy: person ? 'email' : 'none', linkId: link.id },
    });
    const verified = await requests.updateRequest(trx, link.tenant_id, id, {
      status: 'verified',
      verification_method: 'email_link',
      verified_at: now,
      verified_by: null,
    });
    await recordStep(trx, keyring, verified, actor, {
      action: 'verified',
      from: 'received',
      to: 'verified',
      details: { method: 'email_link' },
    });
    await repo.markUsed(trx, link.tenant_id, link.id, id, now);
    const reference = requestReference(id);
    await enqueueMail(trx, {
      tenantId: link.tenant_id,
      to: email,
      template: 'privacy_request_receipt',
      locale: link.language,
      data: { tenantName: tenant!.name, type: link.type, reference, receivedDate: utcDate(now), dueDate: due },
      keyring,
    });
    return { ...nothing(tenant, 'used', link), opened: { reference, dueAt: due } };
  });
}

/** Deletes links older than 30 days, used or not. Idempotent: every node may run it. */
export async function purgePublicRequestLinks(db: Kysely<Database>, now = new Date()): Promise<number> {
  return repo.purgeLinks(db, new Date(now.getTime() - LINKS_KEPT_DAYS * DAY_MS));
}

/**
 * Erasure reaches request links not yet used: the pending links of these
 * addresses go (opened one by one, since the address is sealed). Answers how
 * many. Pass the erasure's transaction.
 */
export async function forgetPendingLinks(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  emails: readonly string[],
): Promise<number> {
  const wanted = new Set(emails.map((e) => e.trim().toLowerCase()));
  if (wanted.size === 0) return 0;
  const rows = await db
    .selectFrom('public_request_links')
    .select(['id', 'key_version', 'email_enc'])
    .where('tenant_id', '=', tenantId)
    .where('email_enc', 'is not', null)
    .execute();
  const doomed: string[] = [];
  for (const row of rows) {
    const key = await linkKey(db, keyring, tenantId, row.key_version);
    if (wanted.has(open(key, row.email_enc!, sealContext(tenantId, row.id)).toString('utf8').toLowerCase())) doomed.push(row.id);
  }
  if (doomed.length > 0) await db.deleteFrom('public_request_links').where('tenant_id', '=', tenantId).where('id', 'in', doomed).execute();
  return doomed.length;
}
