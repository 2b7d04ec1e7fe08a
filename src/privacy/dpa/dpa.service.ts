import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { requirePermission } from '../../access/access.service.js';
import { auditActorOf, recordChange, recordRead } from '../../audit/recorder.js';
import type { Database, Language } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Keyring } from '../../keys/keyring.js';
import { openField, recordsSubjectId, sealField } from '../../keys/keys.service.js';
import type { Authenticated } from '../../shared/actor.js';
import { newId } from '../../shared/ids.js';
import { PrivacyError } from '../privacy.errors.js';
import * as repo from './dpa.repository.js';

/**
 * The data processing agreement (Art. 28 GDPR) between the operator and each
 * tenant. The operator publishes versioned texts (the bundled default, or
 * `custodia dpa publish`); a tenant administrator accepts the current one
 * by name and title, and the acceptance keeps the SHA-256 of the exact text
 * shown. A version newer than the tenant's last acceptance is pending until
 * an administrator accepts it.
 */

export const DPA_LANGUAGES = ['en', 'nl'] as const satisfies readonly Language[];
/** The version shipped in src/privacy/dpa/texts/, published when no other ever was. */
export const BUNDLED_DPA_VERSION = '2026-12';
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
const MAX_TEXT = 200_000;
const MAX_SUB_PROCESSORS = 100;

export interface SubProcessor {
  name: string;
  service: string;
  location: string;
}

export interface DpaText {
  version: string;
  language: Language;
  text: string;
  sha256: string;
  publishedAt: Date;
}

export interface DpaAcceptance {
  id: string;
  version: string;
  language: Language;
  textSha256: string;
  userId: string;
  name: string;
  title: string;
  ip: string | null;
  acceptedAt: Date;
}

export interface DpaView {
  current: DpaText;
  subProcessors: SubProcessor[];
  acceptances: DpaAcceptance[];
  /** True while the current version is not accepted by this tenant. */
  pending: boolean;
}

export interface PublishedDpa {
  version: string;
  language: Language;
  sha256: string;
  publishedAt: Date;
  subProcessors: number;
  current: boolean;
}

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const bundled = (file: string) => readFileSync(new URL(`./texts/${file}`, import.meta.url), 'utf8');

/** Checks a sub-processor list (JSON text or parsed): [{ name, service, location }]. */
export function subProcessorsOf(value: unknown): SubProcessor[] {
  let list = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      throw new PrivacyError('dpa_invalid', 'the sub-processor list is not valid JSON');
    }
  }
  if (!Array.isArray(list) || list.length > MAX_SUB_PROCESSORS)
    throw new PrivacyError(
      'dpa_invalid',
      `the sub-processor list is an array of at most ${MAX_SUB_PROCESSORS} { name, service, location }`,
    );
  return list.map((item: unknown, i) => {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const field = (name: string) => {
      const v = entry[name];
      if (typeof v !== 'string' || v.trim() === '' || v.length > 500)
        throw new PrivacyError('dpa_invalid', `sub-processor ${i + 1} needs a ${name} of 1 to 500 characters`);
      return v.trim();
    };
    return { name: field('name'), service: field('service'), location: field('location') };
  });
}

/** Publishes the bundled default texts when the operator never published any. */
export async function ensureDefaultDpa(db: Kysely<Database>): Promise<void> {
  if (await repo.anyDpaVersion(db)) return;
  const subProcessors = JSON.stringify(subProcessorsOf(bundled('sub-processors.json')));
  for (const language of DPA_LANGUAGES) {
    const text = bundled(`${BUNDLED_DPA_VERSION}.${language}.md`);
    await repo.insertDpaVersion(db, {
      version: BUNDLED_DPA_VERSION,
      language,
      text,
      sha256: sha256Hex(text),
      sub_processors: subProcessors,
    });
  }
}

/** The newest version's texts (the bundled one until the operator publishes another). */
async function currentTexts(db: Kysely<Database>): Promise<repo.DpaVersionRow[]> {
  await ensureDefaultDpa(db);
  const newest = (await repo.listDpaVersions(db))[0];
  if (!newest) throw new PrivacyError('dpa_not_found', 'no DPA is published');
  return repo.dpaTextsOf(db, newest.version);
}

const textIn = (texts: readonly repo.DpaVersionRow[], language: Language) =>
  texts.find((t) => t.language === language) ?? texts.find((t) => t.language === 'en') ?? texts[0]!;

// --- the operator (CLI) ---------------------------------------------------------------------

/**
 * Publishes a DPA text for a version and language (operator only: the CLI).
 * A text is never replaced; a change is a new version, which every tenant
 * is then asked to accept. Without a sub-processor list the version keeps
 * the one of its other language, else the current version's.
 */
export async function publishDpa(
  db: Kysely<Database>,
  input: { version: string; language?: string | undefined; text: string; subProcessors?: string | undefined },
): Promise<PublishedDpa> {
  const version = input.version.trim();
  if (!VERSION.test(version))
    throw new PrivacyError('dpa_invalid', 'a DPA version is 1 to 40 letters, digits, dots, dashes or underscores');
  const language = (input.language ?? 'en') as Language;
  if (!DPA_LANGUAGES.includes(language)) throw new PrivacyError('dpa_invalid', `the language is one of ${DPA_LANGUAGES.join(', ')}`);
  if (input.text.trim() === '' || input.text.length > MAX_TEXT)
    throw new PrivacyError('dpa_invalid', `a DPA text is 1 to ${MAX_TEXT} characters`);
  return inTransaction(db, async (trx) => {
    await ensureDefaultDpa(trx);
    let subProcessors: SubProcessor[];
    if (input.subProcessors !== undefined) subProcessors = subProcessorsOf(input.subProcessors);
    else {
      const sibling = (await repo.dpaTextsOf(trx, version))[0] ?? (await currentTexts(trx))[0];
      subProcessors = sibling?.sub_processors ?? [];
    }
    const inserted = await repo.insertDpaVersion(trx, {
      version,
      language,
      text: input.text,
      sha256: sha256Hex(input.text),
      sub_processors: JSON.stringify(subProcessors),
    });
    if (!inserted)
      throw new PrivacyError('dpa_exists', `version ${version} already has a text in ${language}; publish a new version instead`);
    const published = (await listDpa(trx)).find((p) => p.version === version && p.language === language)!;
    return published;
  });
}

/** Every published text, newest version first, marking the current one. */
export async function listDpa(db: Kysely<Database>): Promise<PublishedDpa[]> {
  await ensureDefaultDpa(db);
  const rows = await repo.listDpaVersions(db);
  const current = rows[0]?.version;
  return rows.map((r) => ({
    version: r.version,
    language: r.language,
    sha256: r.sha256,
    publishedAt: r.published_at,
    subProcessors: r.sub_processors.length,
    current: r.version === current,
  }));
}

// --- the tenant -----------------------------------------------------------------------------

/** The current DPA in the reader's language, the sub-processors, the tenant's acceptances and whether one is pending. */
export async function dpaFor(db: Kysely<Database>, keyring: Keyring, actor: Authenticated): Promise<DpaView> {
  await requirePermission(db, actor, 'privacy', 'view');
  const texts = await currentTexts(db);
  const shown = textIn(texts, actor.user.language);
  const rows = await repo.acceptancesOf(db, actor.tenantId);
  const acceptances: DpaAcceptance[] = [];
  for (const row of rows) {
    const ref = (field: string) => ({
      tenantId: actor.tenantId,
      subjectId: row.subject_id,
      table: 'dpa_acceptances',
      rowId: row.id,
      field,
    });
    const open = async (field: string, value: Buffer | null) => (value ? openField(db, keyring, ref(field), value) : null);
    acceptances.push({
      id: row.id,
      version: row.version,
      language: row.language,
      textSha256: row.text_sha256,
      userId: row.user_id,
      name: (await open('name', row.name_enc)) ?? '',
      title: (await open('title', row.title_enc)) ?? '',
      ip: await open('ip', row.ip_enc),
      acceptedAt: row.accepted_at,
    });
  }
  if (acceptances.length > 0)
    await recordRead(db, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'dpa.acceptances_read',
      entity: 'dpa_acceptances',
      fields: ['name', 'title', 'ip'],
      details: { count: acceptances.length },
    });
  return {
    current: { version: shown.version, language: shown.language, text: shown.text, sha256: shown.sha256, publishedAt: shown.published_at },
    subProcessors: shown.sub_processors,
    acceptances,
    pending: !rows.some((r) => r.version === shown.version),
  };
}

/** Whether an administrator must accept a new version (asked after sign-in); never pending for anyone else. */
export async function dpaStatus(db: Kysely<Database>, actor: Authenticated): Promise<{ version: string; pending: boolean }> {
  const version = (await currentTexts(db))[0]!.version;
  if (!actor.user.isAdmin) return { version, pending: false };
  return { version, pending: !(await repo.hasAccepted(db, actor.tenantId, version)) };
}

/** A tenant administrator accepts the current version as shown in their language; 409 for any other version. */
export async function acceptDpa(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: { version: string; name: string; title: string },
): Promise<DpaAcceptance> {
  if (!actor.user.isAdmin) throw new PrivacyError('privacy_forbidden', 'only an administrator of the tenant can accept the DPA');
  const name = input.name.trim();
  const title = input.title.trim();
  if (name === '' || name.length > 200 || title === '' || title.length > 200)
    throw new PrivacyError('dpa_invalid', 'name and title are 1 to 200 characters');
  return inTransaction(db, async (trx) => {
    const texts = await currentTexts(trx);
    if (texts[0]!.version !== input.version)
      throw new PrivacyError(
        'dpa_not_current',
        `version ${input.version} is not the current DPA (${texts[0]!.version}); reload and accept that one`,
      );
    const shown = textIn(texts, actor.user.language);
    const id = newId();
    const subjectId = await recordsSubjectId(trx, keyring, actor.tenantId);
    const ref = (field: string) => ({ tenantId: actor.tenantId, subjectId, table: 'dpa_acceptances', rowId: id, field });
    const ip = actor.origin?.ip ?? null;
    const row = await repo.insertAcceptance(trx, {
      tenant_id: actor.tenantId,
      id,
      version: shown.version,
      language: shown.language,
      text_sha256: shown.sha256,
      user_id: actor.user.id,
      subject_id: subjectId,
      name_enc: await sealField(trx, keyring, ref('name'), name),
      title_enc: await sealField(trx, keyring, ref('title'), title),
      ip_enc: ip ? await sealField(trx, keyring, ref('ip'), ip) : null,
    });
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'dpa.accepted',
      entity: 'dpa_acceptances',
      entityId: id,
      fields: ['name', 'title'],
      details: { version: shown.version, language: shown.language, textSha256: shown.sha256 },
      values: { subjectId, data: { name, title } },
    });
    return {
      id,
      version: row.version,
      language: row.language,
      textSha256: row.text_sha256,
      userId: row.user_id,
      name,
      title,
      ip,
      acceptedAt: row.accepted_at,
    };
  });
}
