import type { Kysely } from 'kysely';
import type { AuditActor } from '../../audit/recorder.js';
import { recordChange } from '../../audit/recorder.js';
import type { ConsentAction, ConsentSource, Database, Language } from '../../db/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import { openField, sealField } from '../../keys/keys.service.js';
import { newId } from '../../shared/ids.js';
import { PrivacyError } from '../privacy.errors.js';
import * as purposes from '../purposes/purposes.repository.js';
import * as repo from './consent.repository.js';

/**
 * The consent ledger's rules. Every event is appended, never changed; the
 * current state per purpose is derived from the newest grant, confirmation
 * or withdrawal. Events hang on the person's subject, so a lead's consents
 * are the contact's after conversion.
 */

export type PersonTable = 'contacts' | 'leads';

export interface ConsentEventInput {
  tenantId: string;
  subjectId: string;
  /** The contact or lead the event is recorded on. */
  person: { table: PersonTable; id: string };
  /** Required except for `object` (an objection to direct marketing covers every marketing purpose). */
  purposeId: string | null;
  action: ConsentAction;
  source: ConsentSource;
  /** The notice shown; by default the purpose's newest notice in `language`. */
  noticeId?: string | null;
  language?: Language;
  /** Where the person acted themselves (public pages): sealed under their key. */
  ip?: string | null;
  userAgent?: string | null;
  /** Who recorded it (staff) or how the person reached us (public pages). */
  actor: AuditActor;
}

export interface ConsentEvent {
  id: string;
  purposeId: string | null;
  action: ConsentAction;
  source: ConsentSource;
  at: Date;
  noticeId: string | null;
  noticeHash: string | null;
  ip: string | null;
  userAgent: string | null;
  actorUserId: string | null;
  person: { table: PersonTable; id: string };
}

export interface ConsentState {
  purposeId: string;
  status: 'granted' | 'withdrawn';
  at: Date;
  source: ConsentSource;
}

export interface PersonConsents {
  current: ConsentState[];
  /** When the person objected to direct marketing (Art. 21(2)); null if never. */
  objectedToMarketingAt: Date | null;
  items: ConsentEvent[];
}

/** Sources that are the person's own act: only these may grant a marketing purpose after an objection. */
const OWN_ACTS: ReadonlySet<ConsentSource> = new Set(['form', 'double_opt_in']);

const AUDIT_ACTION: Record<ConsentAction, string> = {
  grant: 'consent.granted',
  confirm: 'consent.confirmed',
  withdraw: 'consent.withdrawn',
  object: 'consent.objected',
};

/** Current state per purpose from events newest first. */
export function currentOf(events: readonly repo.ConsentEventRow[]): { current: ConsentState[]; objectedToMarketingAt: Date | null } {
  const current = new Map<string, ConsentState>();
  let objectedToMarketingAt: Date | null = null;
  for (const e of events) {
    if (e.action === 'object') {
      objectedToMarketingAt ??= e.at;
      continue;
    }
    if (!e.purpose_id || current.has(e.purpose_id)) continue;
    current.set(e.purpose_id, {
      purposeId: e.purpose_id,
      status: e.action === 'withdraw' ? 'withdrawn' : 'granted',
      at: e.at,
      source: e.source,
    });
  }
  return { current: [...current.values()], objectedToMarketingAt };
}

async function append(
  db: Kysely<Database>,
  keyring: Keyring,
  input: ConsentEventInput,
  purposeId: string | null,
  action: ConsentAction,
  notice: purposes.NoticeRow | undefined,
) {
  const id = newId();
  const ref = (field: string) => ({ tenantId: input.tenantId, subjectId: input.subjectId, table: 'consent_events', rowId: id, field });
  const row = await repo.insertConsentEvent(db, {
    tenant_id: input.tenantId,
    id,
    subject_id: input.subjectId,
    person_table: input.person.table,
    person_id: input.person.id,
    purpose_id: purposeId,
    action,
    source: input.source,
    notice_id: notice?.id ?? null,
    notice_hash: notice?.sha256 ?? null,
    ip_enc: input.ip ? await sealField(db, keyring, ref('ip'), input.ip) : null,
    user_agent_enc: input.userAgent ? await sealField(db, keyring, ref('user_agent'), input.userAgent.slice(0, 512)) : null,
    actor_user_id: input.actor.kind === 'user' || input.actor.kind === 'token' ? (input.actor.userId ?? null) : null,
  });
  await recordChange(db, keyring, {
    tenantId: input.tenantId,
    actor: input.actor,
    action: AUDIT_ACTION[action],
    entity: input.person.table,
    entityId: input.person.id,
    subjectIds: [input.subjectId],
    details: { purposeId, source: input.source, noticeHash: notice?.sha256 ?? null, eventId: id },
  });
  return row;
}

/**
 * Appends one event after checking it against the ledger's rules. Pass the
 * caller's transaction. An objection also withdraws every marketing purpose
 * the person has granted. Returns the events written.
 */
export async function recordConsentEvent(
  db: Kysely<Database>,
  keyring: Keyring,
  input: ConsentEventInput,
): Promise<repo.ConsentEventRow[]> {
  const history = await repo.eventsOfSubject(db, input.tenantId, input.subjectId);
  const state = currentOf(history);

  if (input.action === 'object') {
    const written = [await append(db, keyring, input, null, 'object', undefined)];
    const marketing = new Set((await purposes.marketingPurposes(db, input.tenantId)).map((p) => p.id));
    for (const s of state.current)
      if (s.status === 'granted' && marketing.has(s.purposeId))
        written.push(await append(db, keyring, { ...input, action: 'withdraw' }, s.purposeId, 'withdraw', undefined));
    return written;
  }

  if (!input.purposeId) throw new PrivacyError('consent_invalid', 'a consent event names its purpose');
  const purpose = await purposes.findPurpose(db, input.tenantId, input.purposeId);
  if (!purpose) throw new PrivacyError('purpose_not_found', 'no such purpose');

  let notice: purposes.NoticeRow | undefined;
  if (input.action === 'grant' || input.action === 'confirm') {
    if (purpose.status === 'retired')
      throw new PrivacyError('purpose_retired', 'this purpose is retired; nobody can consent to it any more');
    if (purpose.marketing && state.objectedToMarketingAt && !OWN_ACTS.has(input.source))
      throw new PrivacyError(
        'marketing_objection',
        'this person objected to direct marketing; only their own new opt-in can grant a marketing purpose',
      );
    notice = input.noticeId
      ? await purposes.findNotice(db, input.tenantId, input.noticeId)
      : await purposes.currentNotice(db, input.tenantId, purpose.id, input.language ?? 'en');
    if (input.noticeId && (!notice || notice.purpose_id !== purpose.id))
      throw new PrivacyError('notice_not_found', 'no such notice for this purpose');
    if (!notice && purpose.lawful_basis === 'consent')
      throw new PrivacyError(
        'notice_required',
        'a consent needs the privacy notice it was given on; publish a notice for this purpose first',
      );
  }
  return [await append(db, keyring, input, purpose.id, input.action, notice)];
}

/** A person's consents: the current state per purpose and the full history with its proof, newest first. */
export async function consentsOf(db: Kysely<Database>, keyring: Keyring, tenantId: string, subjectId: string): Promise<PersonConsents> {
  const rows = await repo.eventsOfSubject(db, tenantId, subjectId);
  const open = async (row: repo.ConsentEventRow, field: string, value: Buffer | null) =>
    value ? openField(db, keyring, { tenantId, subjectId, table: 'consent_events', rowId: row.id, field }, value) : null;
  const items: ConsentEvent[] = [];
  for (const row of rows)
    items.push({
      id: row.id,
      purposeId: row.purpose_id,
      action: row.action,
      source: row.source,
      at: row.at,
      noticeId: row.notice_id,
      noticeHash: row.notice_hash,
      ip: await open(row, 'ip', row.ip_enc),
      userAgent: await open(row, 'user_agent', row.user_agent_enc),
      actorUserId: row.actor_user_id,
      person: { table: row.person_table, id: row.person_id },
    });
  return { ...currentOf(rows), items };
}

/** Of these subjects, those whose current consent to the purpose is granted (and, for marketing, not objected since). */
export async function grantedSubjects(
  db: Kysely<Database>,
  tenantId: string,
  purposeId: string,
  subjectIds: readonly string[],
): Promise<Set<string>> {
  const rows = await repo.eventsOfSubjects(db, tenantId, subjectIds);
  const bySubject = new Map<string, repo.ConsentEventRow[]>();
  for (const row of rows) bySubject.set(row.subject_id, [...(bySubject.get(row.subject_id) ?? []), row]);
  const granted = new Set<string>();
  for (const [subjectId, events] of bySubject) {
    const state = currentOf(events).current.find((s) => s.purposeId === purposeId);
    if (state?.status === 'granted') granted.add(subjectId);
  }
  return granted;
}

export { personOfSubject } from './consent.repository.js';
