import type { Kysely } from 'kysely';
import { auditActorOf, recordRead } from '../../audit/recorder.js';
import { contactKind, contactSubjectId } from '../../crm/people/contacts.service.js';
import { leadKind, leadSubjectId } from '../../crm/people/leads.service.js';
import { personForChange, type PersonKind, type PersonRecord } from '../../crm/people/person-records.js';
import type { ConsentAction, ConsentSource, Database, Language, LawfulBasisName } from '../../db/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import type { Authenticated } from '../../shared/actor.js';
import { consentsOf, recordConsentEvent, type ConsentEvent, type PersonTable } from '../ledger/consent.service.js';
import { PrivacyError } from '../privacy.errors.js';
import * as purposes from '../purposes/purposes.repository.js';

/**
 * Consents as staff see and record them on a contact or a lead. Reading needs
 * read access to the person (and is itself recorded as a read of their data);
 * recording needs edit access. The rules of the ledger itself (notices,
 * retired purposes, the objection to direct marketing) are the ledger's.
 */

export interface PersonRef {
  kind: PersonTable;
  id: string;
}

/** What staff may name as the source of an event they record; the person's own acts come through the public pages. */
export const STAFF_SOURCES = ['staff', 'api', 'form', 'import'] as const satisfies readonly ConsentSource[];
export type StaffSource = (typeof STAFF_SOURCES)[number];

export interface ConsentRequest {
  action: 'grant' | 'withdraw' | 'object';
  /** Required for a grant or withdrawal; absent for an objection, which covers every marketing purpose. */
  purposeId?: string;
  source?: StaffSource;
  /** The notice a grant was given on; by default the purpose's newest in the person's language. */
  noticeId?: string;
}

export interface ConsentStateView {
  purposeId: string;
  purposeName: string | null;
  marketing: boolean;
  status: 'granted' | 'withdrawn';
  at: Date;
  source: ConsentSource;
}

export interface ConsentItemView {
  id: string;
  purposeId: string | null;
  purposeName: string | null;
  action: ConsentAction;
  source: ConsentSource;
  at: Date;
  noticeHash: string | null;
  noticeVersion: number | null;
  noticeLanguage: Language | null;
  ip: string | null;
  userAgent: string | null;
  /** The user who recorded it; null for the person's own act on a public page. */
  recordedBy: string | null;
  /** The record the event was recorded on (a lead's events stay named after it once converted). */
  recordedOn: PersonRef;
}

/** A purpose as the consent panel offers it: what anyone who may record consents needs to know of it. */
export interface PurposeChoice {
  id: string;
  name: string;
  lawfulBasis: LawfulBasisName;
  marketing: boolean;
  status: 'active' | 'retired';
}

export interface PersonConsentsView {
  /** The tenant's purposes, active first: staff who may not read the privacy area still need them to record a consent. */
  purposes: PurposeChoice[];
  current: ConsentStateView[];
  objectedToMarketingAt: Date | null;
  items: ConsentItemView[];
}

const kinds = {
  contacts: contactKind as unknown as PersonKind<PersonRecord, never>,
  leads: leadKind as unknown as PersonKind<PersonRecord, never>,
};

/** The person's subject, after checking the actor may see them (404 otherwise, also for another tenant's). */
function readableSubject(db: Kysely<Database>, actor: Authenticated, person: PersonRef): Promise<string> {
  return person.kind === 'contacts' ? contactSubjectId(db, actor, person.id) : leadSubjectId(db, actor, person.id);
}

interface Names {
  purpose(id: string | null): purposes.PurposeRow | undefined;
  notice(id: string | null): purposes.NoticeRow | undefined;
}

/** Purpose names and notice versions for a set of events, looked up once each. */
async function describe(
  db: Kysely<Database>,
  tenantId: string,
  purposeIds: Iterable<string | null>,
  noticeIds: Iterable<string | null>,
): Promise<Names> {
  const ids = [...new Set([...purposeIds].filter((id): id is string => id !== null))];
  const byPurpose = new Map((await purposes.findPurposes(db, tenantId, ids)).map((p) => [p.id, p]));
  const byNotice = new Map<string, purposes.NoticeRow>();
  for (const id of new Set([...noticeIds].filter((n): n is string => n !== null))) {
    const notice = await purposes.findNotice(db, tenantId, id);
    if (notice) byNotice.set(id, notice);
  }
  return {
    purpose: (id: string | null) => (id ? byPurpose.get(id) : undefined),
    notice: (id: string | null) => (id ? byNotice.get(id) : undefined),
  };
}

/** A person's consents: the state per purpose and the whole ledger with its proof, newest first. Recorded as a read. */
export async function personConsents(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  person: PersonRef,
): Promise<PersonConsentsView> {
  const subjectId = await readableSubject(db, actor, person);
  const consents = await consentsOf(db, keyring, actor.tenantId, subjectId);
  const names = await describe(
    db,
    actor.tenantId,
    consents.items.map((e) => e.purposeId),
    consents.items.map((e) => e.noticeId),
  );
  await recordRead(db, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'consent.read',
    entity: person.kind,
    entityId: person.id,
    subjectIds: [subjectId],
    fields: ['consents'],
    details: { events: consents.items.length },
  });
  const tenantPurposes = await purposes.listPurposes(db, actor.tenantId);
  return {
    purposes: tenantPurposes.map((p) => ({
      id: p.id,
      name: p.name,
      lawfulBasis: p.lawful_basis,
      marketing: p.marketing,
      status: p.status,
    })),
    current: consents.current.map((s) => ({
      purposeId: s.purposeId,
      purposeName: names.purpose(s.purposeId)?.name ?? null,
      marketing: names.purpose(s.purposeId)?.marketing ?? false,
      status: s.status,
      at: s.at,
      source: s.source,
    })),
    objectedToMarketingAt: consents.objectedToMarketingAt,
    items: consents.items.map((e) => itemView(e, names)),
  };
}

/**
 * Records a grant, a withdrawal (e.g. one received by phone or letter) or an
 * objection to direct marketing on a person the actor may change. Answers the
 * events written: an objection also withdraws every marketing purpose granted.
 * A restriction of processing does not stop it: withdrawing and objecting are
 * always possible, and consent is what Art. 18(2) lets processing resume on.
 */
export async function recordPersonConsent(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  person: PersonRef,
  request: ConsentRequest,
): Promise<ConsentItemView[]> {
  if (request.action === 'object' && request.purposeId)
    throw new PrivacyError('consent_invalid', 'an objection to direct marketing covers every marketing purpose; send no purposeId');
  if (request.action !== 'object' && !request.purposeId)
    throw new PrivacyError('consent_invalid', 'a grant or withdrawal names its purposeId');
  if (request.action !== 'grant' && request.noticeId)
    throw new PrivacyError('consent_invalid', 'only a grant is given on a notice; send no noticeId');
  return db.transaction().execute(async (trx) => {
    const record = await personForChange(trx, keyring, actor, kinds[person.kind], person.id, 'edit');
    const written = await recordConsentEvent(trx, keyring, {
      tenantId: actor.tenantId,
      subjectId: record.subjectId,
      person: { table: person.kind, id: person.id },
      purposeId: request.purposeId ?? null,
      action: request.action,
      source: request.source ?? 'staff',
      noticeId: request.noticeId ?? null,
      // Without a named notice, the one in the person's own language is the one they were shown.
      language: languageOf(record.language),
      actor: auditActorOf(actor),
    });
    const names = await describe(
      trx,
      actor.tenantId,
      written.map((e) => e.purpose_id),
      written.map((e) => e.notice_id),
    );
    // Staff record on the person's behalf: there is no device of theirs to keep (ip, userAgent stay null).
    return written.map((row) =>
      itemView(
        {
          id: row.id,
          purposeId: row.purpose_id,
          action: row.action,
          source: row.source,
          at: row.at,
          noticeId: row.notice_id,
          noticeHash: row.notice_hash,
          ip: null,
          userAgent: null,
          actorUserId: row.actor_user_id,
          person: { table: row.person_table, id: row.person_id },
        },
        names,
      ),
    );
  });
}

function itemView(e: ConsentEvent, names: Names): ConsentItemView {
  const notice = names.notice(e.noticeId);
  return {
    id: e.id,
    purposeId: e.purposeId,
    purposeName: names.purpose(e.purposeId)?.name ?? null,
    action: e.action,
    source: e.source,
    at: e.at,
    noticeHash: e.noticeHash,
    noticeVersion: notice?.version ?? null,
    noticeLanguage: notice?.language ?? null,
    ip: e.ip,
    userAgent: e.userAgent,
    recordedBy: e.actorUserId,
    recordedOn: { kind: e.person.table, id: e.person.id },
  };
}

function languageOf(tag: string | null): Language {
  return tag?.toLowerCase().startsWith('nl') ? 'nl' : 'en';
}
