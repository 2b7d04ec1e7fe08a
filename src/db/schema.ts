import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The Database type Kysely checks every query against. One interface per
 * table; tenant-owned tables lead their primary key with `tenant_id`.
 */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** jsonb: read as parsed JSON, written as a JSON string (the same on pg and PGlite). */
type Json = ColumnType<Record<string, unknown>, string | undefined, string>;

export type TenantStatus = 'active' | 'suspended' | 'terminated';

export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  created_at: CreatedAt;
  updated_at: Timestamp;
  suspended_at: Timestamp | null;
  terminated_at: Timestamp | null;
  /** When a terminated tenant's data is purged (at most 30 days after termination). */
  deletion_due_at: Timestamp | null;
  require_mfa: ColumnType<boolean, boolean | undefined, boolean>;
  access_version: ColumnType<string, never, never>;
}

export type UserStatus = 'active' | 'deactivated';

export interface UsersTable {
  tenant_id: string;
  id: string;
  /** Legacy plaintext, null once encrypted (see email_enc). */
  email: string | null;
  /** Legacy plaintext, null once encrypted (see name_enc). */
  name: string | null;
  subject_id: string | null;
  email_enc: Buffer | null;
  name_enc: Buffer | null;
  password_hash: string;
  is_admin: boolean;
  status: UserStatus;
  created_at: CreatedAt;
  updated_at: Timestamp;
  language: ColumnType<Language, Language | undefined, Language>;
  password_changed_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** Sealed TOTP secret of an enabled second factor. */
  totp_secret: Buffer | null;
  /** Sealed TOTP secret of an enrolment not yet confirmed with a code. */
  totp_pending_secret: Buffer | null;
  totp_enabled_at: Timestamp | null;
  totp_last_step: number | null;
  /** Null: the tenant's root role. */
  role_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Null: Administrator for admins, Standard for everyone else. */
  profile_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export type Language = 'en' | 'nl';

export interface SessionsTable {
  tenant_id: string;
  id: string;
  user_id: string;
  /** SHA-256 of the bearer token; the token itself is never stored. */
  token_hash: Buffer;
  created_at: CreatedAt;
  last_seen_at: Timestamp;
  idle_expires_at: Timestamp;
  absolute_expires_at: Timestamp;
  /** The sealed IP and user agent (audit/origin.ts), under the user's subject key. */
  origin_subject_id: string | null;
  origin_enc: Buffer | null;
  mfa_enrolment_required: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface RecoveryCodesTable {
  tenant_id: string;
  id: string;
  user_id: string;
  code_hash: Buffer;
  created_at: CreatedAt;
  used_at: Timestamp | null;
}

export interface MfaChallengesTable {
  tenant_id: string;
  id: string;
  user_id: string;
  challenge_hash: Buffer;
  attempts: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface PasswordResetsTable {
  tenant_id: string;
  id: string;
  user_id: string;
  token_hash: Buffer;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export type ApiTokenScope = 'read' | 'write' | 'admin';

export interface ApiTokensTable {
  tenant_id: string;
  id: string;
  user_id: string;
  name: string;
  token_hash: Buffer;
  scopes: ApiTokenScope[];
  created_at: CreatedAt;
  expires_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface SignInThrottlesTable {
  key: Buffer;
  failures: number;
  window_started_at: Timestamp;
  last_failure_at: Timestamp;
  blocked_until: Timestamp | null;
}

export interface SecurityEventsTable {
  tenant_id: string;
  id: string;
  at: CreatedAt;
  type: string;
  user_id: string | null;
  actor_user_id: string | null;
  /** Plaintext origin of events written before migration 0013, until moved (sealLegacyOrigins); null otherwise. */
  ip: ColumnType<string | null, never, null>;
  user_agent: ColumnType<string | null, never, null>;
  /** The sealed IP and user agent (audit/origin.ts). */
  origin_subject_id: string | null;
  origin_enc: Buffer | null;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
}

export type MailStatus = 'pending' | 'sent' | 'failed';

export interface MailOutboxTable {
  id: string;
  tenant_id: string | null;
  template: string;
  locale: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  status: MailStatus;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_error: string | null;
  created_at: CreatedAt;
  sent_at: Timestamp | null;
  /** Per-message headers as JSON (List-Unsubscribe …), sealed like the rest of the row (migration 0018). */
  headers: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface InstanceKeysTable {
  id: number;
  wrapped_key: Buffer;
  master_key_id: string;
  created_at: CreatedAt;
}

export type TenantKeyState = 'active' | 'retiring' | 'retired' | 'destroyed';

export interface TenantKeysTable {
  tenant_id: string;
  version: number;
  wrapped_key: Buffer | null;
  master_key_id: string | null;
  state: TenantKeyState;
  created_at: CreatedAt;
  destroyed_at: Timestamp | null;
}

export type SubjectKind = 'user' | 'person' | 'records';

export interface SubjectsTable {
  tenant_id: string;
  id: string;
  kind: SubjectKind;
  created_at: CreatedAt;
  erased_at: Timestamp | null;
}

export interface SubjectKeysTable {
  tenant_id: string;
  subject_id: string;
  key_version: ColumnType<number, number | undefined, number>;
  wrapped_key: Buffer;
  tenant_key_version: number;
  created_at: CreatedAt;
}

export interface BlindIndexTermsTable {
  tenant_id: string;
  index_name: string;
  key_version: number;
  term: number;
  record_table: string;
  record_id: string;
  subject_id: string;
}

export interface KeyRotationsTable {
  id: string;
  kind: 'master' | 'tenant';
  tenant_id: string | null;
  from_version: number | null;
  to_version: number | null;
  status: 'running' | 'done';
  phase: string;
  cursor: string | null;
  processed: ColumnType<number, number | undefined, number>;
  started_at: CreatedAt;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface ContactsTable {
  tenant_id: string;
  id: string;
  subject_id: string;
  owner_id: string;
  owner_group_id: Generated<string | null>;
  /** The person's fields as one JSON document under encryption (migration 0014); null in rows not yet rewritten. */
  person_enc: Buffer | null;
  /** Rows written before migration 0014, until sealLegacyPeople rewrites them: each field on its own; null otherwise. */
  first_name_enc: Buffer | null;
  last_name_enc: Buffer | null;
  /** JSON array of { value, label } under encryption. */
  emails_enc: Buffer | null;
  phones_enc: Buffer | null;
  organization_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Legacy rows: job title, address, birthday, language and personal custom fields as one JSON document under encryption. */
  details_enc: Buffer | null;
  /** Values of non-personal custom fields, plain. */
  custom: Json;
  lawful_basis: string | null;
  lead_id: string | null;
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  /** Set while processing is restricted (Art. 18, migration 0021). */
  restricted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  deleted_at: Timestamp | null;
}

export type LeadStatus = 'new' | 'contacted' | 'qualified' | 'unqualified' | 'converted';

export interface LeadsTable {
  tenant_id: string;
  id: string;
  subject_id: string;
  owner_id: string;
  owner_group_id: Generated<string | null>;
  /** As on contacts: the document, or the legacy columns until rewritten. */
  person_enc: Buffer | null;
  first_name_enc: Buffer | null;
  last_name_enc: Buffer | null;
  emails_enc: Buffer | null;
  phones_enc: Buffer | null;
  details_enc: Buffer | null;
  custom: Json;
  lawful_basis: string | null;
  company: string | null;
  source: string | null;
  status: ColumnType<LeadStatus, LeadStatus | undefined, LeadStatus>;
  rating: 'hot' | 'warm' | 'cold' | null;
  converted_at: Timestamp | null;
  converted_contact_id: string | null;
  converted_organization_id: string | null;
  converted_deal_id: string | null;
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  /** Set while processing is restricted (Art. 18, migration 0021). */
  restricted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  deleted_at: Timestamp | null;
}

export interface TagsTable {
  tenant_id: string;
  id: string;
  name: string;
  color: string | null;
  created_at: CreatedAt;
}

export interface RecordTagsTable {
  tenant_id: string;
  module: string;
  record_id: string;
  tag_id: string;
}

export type CustomFieldType = 'text' | 'number' | 'date' | 'boolean' | 'select' | 'multiselect';

export interface CustomFieldsTable {
  tenant_id: string;
  id: string;
  module: string;
  key: string;
  label: string;
  type: CustomFieldType;
  options: ColumnType<string[], string | undefined, string>;
  personal: boolean;
  position: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
}

export interface OrganizationsTable {
  tenant_id: string;
  id: string;
  owner_id: string;
  owner_group_id: Generated<string | null>;
  name: string;
  domain: string | null;
  industry: string | null;
  website: string | null;
  phone: string | null;
  address: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  custom: Json;
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

export interface NotesTable {
  tenant_id: string;
  id: string;
  contact_id: string | null;
  lead_id: string | null;
  organization_id: string | null;
  deal_id: string | null;
  subject_id: string;
  author_id: string;
  body_enc: Buffer;
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

export type StageKind = 'open' | 'won' | 'lost';
export type DealStatus = StageKind;

export interface PipelinesTable {
  tenant_id: string;
  id: string;
  name: string;
  position: ColumnType<number, number | undefined, number>;
  is_default: ColumnType<boolean, boolean | undefined, boolean>;
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

export interface PipelineStagesTable {
  tenant_id: string;
  id: string;
  pipeline_id: string;
  name: string;
  position: number;
  /** Chance of winning, 0 to 100 percent. */
  probability: number;
  kind: ColumnType<StageKind, StageKind | undefined, StageKind>;
  created_at: CreatedAt;
  deleted_at: Timestamp | null;
}

export interface DealsTable {
  tenant_id: string;
  id: string;
  title: string;
  /** Integer minor units of `currency` (1250 EUR = EUR 12.50); int8 reads as a safe integer. */
  amount_minor: ColumnType<number, number | undefined, number>;
  /** ISO 4217 code. */
  currency: string;
  /** 'YYYY-MM-DD'. */
  expected_close_date: string | null;
  organization_id: string | null;
  pipeline_id: string;
  stage_id: string;
  owner_id: string;
  owner_group_id: Generated<string | null>;
  status: ColumnType<DealStatus, DealStatus | undefined, DealStatus>;
  lost_reason: string | null;
  closed_at: Timestamp | null;
  custom: Json;
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

export interface DealContactsTable {
  tenant_id: string;
  deal_id: string;
  contact_id: string;
}

export interface DealStageHistoryTable {
  tenant_id: string;
  id: string;
  deal_id: string;
  from_stage_id: string | null;
  to_stage_id: string;
  changed_by: string;
  changed_at: CreatedAt;
}

export type ActivityType = 'task' | 'call' | 'meeting';

export interface ActivitiesTable {
  tenant_id: string;
  id: string;
  type: ActivityType;
  subject: string;
  /** The subject whose key seals the description. */
  subject_id: string;
  description_enc: Buffer | null;
  due_at: Timestamp | null;
  start_at: Timestamp | null;
  end_at: Timestamp | null;
  done: ColumnType<boolean, boolean | undefined, boolean>;
  done_at: Timestamp | null;
  assignee_id: string;
  owner_id: string;
  owner_group_id: Generated<string | null>;
  contact_id: string | null;
  lead_id: string | null;
  organization_id: string | null;
  deal_id: string | null;
  custom: Json;
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

export type EmailDirection = 'inbound' | 'outbound';

export interface EmailMessagesTable {
  tenant_id: string;
  id: string;
  direction: EmailDirection;
  subject_id: string;
  from_enc: Buffer;
  to_enc: Buffer;
  subject_enc: Buffer;
  body_enc: Buffer;
  sent_at: Timestamp;
  contact_id: string | null;
  deal_id: string | null;
  logged_by: string;
  created_at: CreatedAt;
  deleted_at: Timestamp | null;
}

export interface ImportsTable {
  tenant_id: string;
  id: string;
  module: string;
  status: 'running' | 'done' | 'failed';
  dry_run: boolean;
  lawful_basis: string;
  duplicates: string;
  rows: ColumnType<number, number | undefined, number>;
  created: ColumnType<number, number | undefined, number>;
  updated: ColumnType<number, number | undefined, number>;
  skipped: ColumnType<number, number | undefined, number>;
  error_count: ColumnType<number, number | undefined, number>;
  errors: ColumnType<Array<{ line: number; message: string }>, string | undefined, string>;
  bytes: ColumnType<string, number | undefined, number>;
  started_by: string;
  started_at: CreatedAt;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface RolesTable {
  tenant_id: string;
  id: string;
  name: string;
  parent_id: string | null;
  path: string;
  created_at: CreatedAt;
}

/** A profile's actions on one module; `allValues` exists on the audit module only. */
export type ModuleActions = Partial<Record<'view' | 'create' | 'edit' | 'delete' | 'export' | 'allValues', boolean>>;

export interface ProfilesTable {
  tenant_id: string;
  id: string;
  name: string;
  is_admin: ColumnType<boolean, boolean | undefined, boolean>;
  permissions: ColumnType<Record<string, ModuleActions>, string | undefined, string>;
  fields: ColumnType<Record<string, Record<string, 'hidden' | 'readonly'>>, string | undefined, string>;
  created_at: CreatedAt;
}

export interface GroupsTable {
  tenant_id: string;
  id: string;
  name: string;
  created_at: CreatedAt;
}

export interface GroupMembersTable {
  tenant_id: string;
  group_id: string;
  user_id: string;
}

export interface GroupRolesTable {
  tenant_id: string;
  group_id: string;
  role_id: string;
}

export type SharingLevel = 'private' | 'public_read' | 'public_write';

export interface SharingDefaultsTable {
  tenant_id: string;
  module: string;
  level: SharingLevel;
}

export interface SharingRulesTable {
  tenant_id: string;
  id: string;
  module: string;
  from_kind: 'role' | 'group';
  from_id: string;
  to_kind: 'role' | 'group';
  to_id: string;
  access: 'read' | 'write';
  created_at: CreatedAt;
}

export type AuditActorKind = 'user' | 'token' | 'system' | 'subject' | 'anonymous';

export interface AuditEntriesTable {
  tenant_id: string;
  id: string;
  /** Chain position, given by the sealer; null while pending. */
  seq: number | null;
  at: Timestamp;
  actor_kind: AuditActorKind;
  actor_user_id: string | null;
  actor_token_id: string | null;
  actor_label: string | null;
  action: string;
  entity: string | null;
  entity_id: string | null;
  subject_ids: string[];
  fields: string[];
  request_id: string | null;
  /** The layout of the entry's encoding (audit/chain.ts): 3, or 2 for entries written before migration 0013. */
  encoding_format: number;
  /** Plaintext origin of format-2 entries only (their MACs and chain cover it); null in format 3. */
  ip: string | null;
  user_agent: string | null;
  /** The sealed IP and user agent of format-3 entries (audit/origin.ts). */
  origin_subject_id: string | null;
  origin_enc: Buffer | null;
  /** Canonical JSON, stored as hashed. */
  details: string;
  values_subject_id: string | null;
  values_enc: Buffer | null;
  /** Null only in rows written before every writer was handed the keyring; a new entry must carry one. */
  mac: ColumnType<Buffer | null, Buffer, never>;
  prev_id: string | null;
  chain_hash: Buffer | null;
  rejected_at: Timestamp | null;
}

export interface AuditHeadsTable {
  tenant_id: string;
  size: ColumnType<number, number | undefined, number>;
  head_hash: Buffer;
  last_id: string | null;
  signature: Buffer | null;
  signed_at: Timestamp | null;
  anchor_seq: ColumnType<number, number | undefined, number>;
  anchor_hash: Buffer;
  anchor_id: string | null;
  anchor_signature: Buffer | null;
  archived_at: Timestamp | null;
  retention_days: ColumnType<number, number | undefined, number>;
}

export type LawfulBasisName = 'consent' | 'contract' | 'legal_obligation' | 'vital_interests' | 'public_task' | 'legitimate_interests';
type JsonList<T> = ColumnType<T[], string | undefined, string>;

/** A processing purpose (migration 0015): the tenant's description, not personal data. */
export interface PurposesTable {
  tenant_id: string;
  id: string;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  lawful_basis: LawfulBasisName;
  data_categories: JsonList<string>;
  retention_days: number;
  recipients: JsonList<string>;
  /** Transfers outside the EU: [{ country, safeguard }]; empty by default. */
  transfers: JsonList<{ country: string; safeguard: string }>;
  marketing: ColumnType<boolean, boolean | undefined, boolean>;
  status: ColumnType<'active' | 'retired', 'active' | 'retired' | undefined, 'active' | 'retired'>;
  /** The Legitimate Interests Assessment; required while a legitimate_interests purpose is active. */
  lia: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  version: ColumnType<number, number | undefined, number>;
  created_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface PrivacyNoticesTable {
  tenant_id: string;
  id: string;
  purpose_id: string;
  language: Language;
  version: number;
  text: string;
  sha256: string;
  created_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export type ConsentAction = 'grant' | 'withdraw' | 'confirm' | 'object';
export type ConsentSource = 'form' | 'double_opt_in' | 'import' | 'api' | 'staff';

/** The consent ledger: append-only (a trigger refuses UPDATE, and DELETE outside erasure). */
export interface ConsentEventsTable {
  tenant_id: string;
  id: string;
  seq: Generated<string>;
  subject_id: string;
  person_table: 'contacts' | 'leads';
  person_id: string;
  purpose_id: string | null;
  action: ConsentAction;
  source: ConsentSource;
  notice_id: string | null;
  notice_hash: string | null;
  ip_enc: Buffer | null;
  user_agent_enc: Buffer | null;
  actor_user_id: string | null;
  at: ColumnType<Date, Date | string | undefined, never>;
}

export type CampaignStatus = 'draft' | 'sent';
export type CampaignSkipReason = 'no_consent' | 'objected' | 'no_email' | 'restricted' | 'not_visible';

/** An e-mail campaign for one purpose (migration 0018): the tenant's own text, no person's data. */
export interface CampaignsTable {
  tenant_id: string;
  id: string;
  name: string;
  purpose_id: string;
  subject: string;
  body: string;
  language: ColumnType<Language, Language | undefined, Language>;
  tag: string | null;
  contact_ids: JsonList<string>;
  lead_ids: JsonList<string>;
  status: ColumnType<CampaignStatus, CampaignStatus | undefined, CampaignStatus>;
  queued_count: ColumnType<number, number | undefined, number>;
  skipped_count: ColumnType<number, number | undefined, number>;
  created_by: string;
  created_at: CreatedAt;
  sent_by: ColumnType<string | null, string | null | undefined, string | null>;
  sent_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** One person's outcome of a campaign send: queued (with its outbox message) or skipped (with a reason). */
export interface CampaignRecipientsTable {
  tenant_id: string;
  id: string;
  campaign_id: string;
  position: number;
  person_table: 'contacts' | 'leads';
  person_id: string;
  subject_id: string | null;
  status: 'queued' | 'skipped';
  reason: CampaignSkipReason | null;
  outbox_message_id: string | null;
  created_at: CreatedAt;
}

/** A public sign-up waiting for its double opt-in (migration 0017): address and name sealed under a tenant-derived key. */
export interface ConsentSignupsTable {
  tenant_id: string;
  id: string;
  purpose_id: string;
  notice_id: string;
  language: Language;
  /** The tenant key version the sealed columns were sealed under. */
  key_version: number;
  /** Null once confirmed: the person's record holds the address from then on. */
  email_enc: Buffer | null;
  first_name_enc: Buffer | null;
  /** SHA-256 of the mailed token; the token itself is never stored. */
  token_hash: Buffer;
  created_at: CreatedAt;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  confirmed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** Sign-up counts per hashed IP or e-mail address in a one-hour window (migration 0017). */
export interface SubscriptionThrottlesTable {
  key: Buffer;
  window_start: ColumnType<Date, Date | string, Date | string>;
  count: number;
}

export type PrivacyRequestType = 'access' | 'rectification' | 'erasure' | 'restriction' | 'objection' | 'portability';
export type PrivacyRequestStatus = 'received' | 'verified' | 'in_progress' | 'completed' | 'refused';
export type PrivacyRequestChannel = 'email' | 'letter' | 'phone' | 'web_form' | 'in_person' | 'other';
export type PrivacyRequestStepAction =
  'received' | 'verified' | 'started' | 'extended' | 'completed' | 'refused' | 'assigned' | 'noted' | 'reminded' | 'exported';
type NullableTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type NullableValue<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** A data-subject request as a case (migration 0019): facts plain, the address and texts sealed under seal_subject_id's key. */
export interface PrivacyRequestsTable {
  tenant_id: string;
  id: string;
  type: PrivacyRequestType;
  status: ColumnType<PrivacyRequestStatus, PrivacyRequestStatus | undefined, PrivacyRequestStatus>;
  channel: ColumnType<PrivacyRequestChannel, PrivacyRequestChannel | undefined, PrivacyRequestChannel>;
  person_table: NullableValue<'contacts' | 'leads'>;
  person_id: NullableValue<string>;
  subject_id: NullableValue<string>;
  seal_subject_id: string;
  email_enc: NullableValue<Buffer>;
  received_at: ColumnType<Date, Date | string, Date | string>;
  /** Calendar dates (YYYY-MM-DD, UTC). */
  original_due_date: string;
  due_date: string;
  extension_months: ColumnType<number, number | undefined, number>;
  extended_at: NullableTime;
  verification_method: NullableValue<string>;
  verified_at: NullableTime;
  verified_by: NullableValue<string>;
  started_at: NullableTime;
  closed_at: NullableTime;
  closed_by: NullableValue<string>;
  refusal_legal_basis: NullableValue<string>;
  assignee_id: NullableValue<string>;
  reminded_soon_at: NullableTime;
  reminded_overdue_at: NullableTime;
  created_by: NullableValue<string>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  version: ColumnType<number, number | undefined, number>;
}

/** One step in a request's history: who did what when; its note or reason sealed like the case's texts. */
export interface PrivacyRequestStepsTable {
  tenant_id: string;
  id: string;
  request_id: string;
  seq: Generated<string>;
  action: PrivacyRequestStepAction;
  from_status: NullableValue<string>;
  to_status: NullableValue<string>;
  actor_user_id: NullableValue<string>;
  details: Json;
  text_enc: NullableValue<Buffer>;
  at: ColumnType<Date, Date | string | undefined, never>;
}

/** A request filed on the public form, waiting for its person to confirm the address (migration 0023). */
export interface PublicRequestLinksTable {
  tenant_id: string;
  id: string;
  type: PrivacyRequestType;
  language: Language;
  /** The tenant key version the address was sealed under. */
  key_version: number;
  /** Null once used: the case holds the address from then on. */
  email_enc: Buffer | null;
  /** SHA-256 of the mailed token; the token itself is never stored. */
  token_hash: Buffer;
  created_at: CreatedAt;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  request_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export type PrivacyBreachStatus = 'open' | 'contained' | 'closed';

/** The breach register (migration 0019): descriptions sealed under the tenant's records subject. */
export interface PrivacyBreachesTable {
  tenant_id: string;
  id: string;
  detected_at: ColumnType<Date, Date | string, Date | string>;
  occurred_at: NullableTime;
  notify_authority_by: ColumnType<Date, Date | string, Date | string>;
  seal_subject_id: string;
  nature_enc: Buffer;
  categories: JsonList<string>;
  subject_categories: JsonList<string>;
  approx_subjects: number;
  approx_records: number;
  consequences_enc: Buffer;
  measures_enc: Buffer;
  status: ColumnType<PrivacyBreachStatus, PrivacyBreachStatus | undefined, PrivacyBreachStatus>;
  authority_notification_required: ColumnType<boolean, boolean | undefined, boolean>;
  no_notification_reason_enc: NullableValue<Buffer>;
  authority_notified_at: NullableTime;
  authority_reference: NullableValue<string>;
  delay_reason_enc: NullableValue<Buffer>;
  subjects_informed: NullableValue<boolean>;
  inform_reason_enc: NullableValue<Buffer>;
  subjects_informed_at: NullableTime;
  created_by: NullableValue<string>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  version: ColumnType<number, number | undefined, number>;
}

/** A published DPA text (migration 0016): operator-wide, one row per version and language, never edited. */
export interface DpaVersionsTable {
  version: string;
  language: Language;
  text: string;
  sha256: string;
  sub_processors: ColumnType<Array<{ name: string; service: string; location: string }>, string | undefined, string>;
  published_at: ColumnType<Date, Date | string | undefined, never>;
}

/** A tenant admin's acceptance of a DPA text; name, title and IP sealed under the tenant's records subject. */
export interface DpaAcceptancesTable {
  tenant_id: string;
  id: string;
  version: string;
  language: Language;
  text_sha256: string;
  user_id: string;
  subject_id: string;
  name_enc: Buffer;
  title_enc: Buffer;
  ip_enc: Buffer | null;
  accepted_at: ColumnType<Date, Date | string | undefined, never>;
}

export type RetentionModule = 'contacts' | 'leads' | 'deals';
export type RetentionBasis = 'last_activity' | 'created' | 'updated' | 'closed' | 'consent_withdrawn';
export type RetentionAction = 'erase' | 'anonymize';

/** A retention rule (migration 0022): plain configuration. */
export interface RetentionRulesTable {
  tenant_id: string;
  id: string;
  module: RetentionModule;
  after_days: number;
  based_on: RetentionBasis;
  action: RetentionAction;
  /** Migration 0026: the purpose the rule is narrowed to (people with a consent event for it). */
  purpose_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** A legal hold on a person's subject (migration 0022); reasons sealed under that subject's key. */
export interface LegalHoldsTable {
  tenant_id: string;
  id: string;
  subject_id: string;
  /** The held record: a person (contacts, leads) or a deal, whose people are all held (migration 0027). */
  person_table: 'contacts' | 'leads' | 'deals';
  person_id: string;
  reason_enc: Buffer;
  placed_by: string | null;
  placed_at: CreatedAt;
  released_at: Date | null;
  released_by: string | null;
  release_reason_enc: Buffer | null;
}

export interface RetentionRuleCount {
  ruleId: string;
  module: RetentionModule;
  action: RetentionAction;
  erased: number;
  anonymized: number;
  held: number;
  failed: number;
}

/** A retention run (migration 0022): counts and rule ids, never who. */
export interface RetentionRunsTable {
  tenant_id: string;
  id: string;
  dry_run: boolean;
  user_id: string | null;
  started_at: CreatedAt;
  finished_at: Date | null;
  status: ColumnType<'running' | 'done' | 'failed', 'running' | 'done' | 'failed' | undefined, 'running' | 'done' | 'failed'>;
  erased: ColumnType<number, number | undefined, number>;
  anonymized: ColumnType<number, number | undefined, number>;
  held: ColumnType<number, number | undefined, number>;
  failed: ColumnType<number, number | undefined, number>;
  per_rule: JsonList<RetentionRuleCount>;
}

export type BackupRunKind = 'scheduled' | 'nightly' | 'manual' | 'tenant';
export type BackupRunStatus = 'running' | 'ok' | 'failed' | 'missed';

/** A backup run (migration 0028): what was set out to be backed up, when, and how it ended; never personal data. */
export interface BackupRunsTable {
  id: string;
  kind: BackupRunKind;
  /** Null: the whole instance. */
  tenant_id: string | null;
  /** The backup in the target store, once made. */
  backup_id: string | null;
  /** The scheduled moment this run (or missed run) answers; null for runs started by hand. */
  due_at: Date | null;
  requested_by: string | null;
  started_at: CreatedAt;
  finished_at: Date | null;
  status: ColumnType<BackupRunStatus, BackupRunStatus | undefined, BackupRunStatus>;
  bytes: ColumnType<string | number | null, number | null | undefined, number | null>;
  rows: ColumnType<string | number | null, number | null | undefined, number | null>;
  verified_at: Date | null;
  error_code: string | null;
  /** Text Custodia writes, never a raw database error (which may quote row values). */
  error_message: string | null;
}

/** A named lock that expires (migration 0028): one node runs a job until `until`, renewing it while it works. */
export interface JobLeasesTable {
  name: string;
  holder: string;
  until: Timestamp;
}

/** A file attached to one record (migration 0029); its name is sealed under subject_id's key. */
export interface FilesTable {
  tenant_id: string;
  id: string;
  subject_id: string;
  contact_id: string | null;
  lead_id: string | null;
  organization_id: string | null;
  deal_id: string | null;
  activity_id: string | null;
  name_enc: Buffer;
  content_type: string;
  current_version: ColumnType<number, number | undefined, number>;
  /** The current version's size in bytes. */
  size: number;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

/** One version of a file (migration 0029): its content is the blob at blob_key, until it expires. */
export interface FileVersionsTable {
  tenant_id: string;
  file_id: string;
  version: number;
  blob_key: string | null;
  size: number;
  sha256_enc: Buffer;
  content_type: string;
  restored_from: number | null;
  created_by: string | null;
  created_at: CreatedAt;
  expired_at: Timestamp | null;
}

/** Keyed hashes of erased people's e-mail addresses and phone numbers (migration 0020): never the values. */
export interface SuppressionsTable {
  tenant_id: string;
  hash: Buffer;
  kind: 'email' | 'phone';
  created_at: CreatedAt;
}

export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  sessions: SessionsTable;
  recovery_codes: RecoveryCodesTable;
  mfa_challenges: MfaChallengesTable;
  password_resets: PasswordResetsTable;
  api_tokens: ApiTokensTable;
  sign_in_throttles: SignInThrottlesTable;
  security_events: SecurityEventsTable;
  mail_outbox: MailOutboxTable;
  instance_keys: InstanceKeysTable;
  tenant_keys: TenantKeysTable;
  subjects: SubjectsTable;
  subject_keys: SubjectKeysTable;
  blind_index_terms: BlindIndexTermsTable;
  key_rotations: KeyRotationsTable;
  contacts: ContactsTable;
  organizations: OrganizationsTable;
  notes: NotesTable;
  leads: LeadsTable;
  tags: TagsTable;
  record_tags: RecordTagsTable;
  custom_fields: CustomFieldsTable;
  imports: ImportsTable;
  roles: RolesTable;
  profiles: ProfilesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  group_roles: GroupRolesTable;
  sharing_defaults: SharingDefaultsTable;
  sharing_rules: SharingRulesTable;
  pipelines: PipelinesTable;
  pipeline_stages: PipelineStagesTable;
  deals: DealsTable;
  deal_contacts: DealContactsTable;
  deal_stage_history: DealStageHistoryTable;
  activities: ActivitiesTable;
  email_messages: EmailMessagesTable;
  audit_entries: AuditEntriesTable;
  audit_heads: AuditHeadsTable;
  purposes: PurposesTable;
  privacy_notices: PrivacyNoticesTable;
  consent_events: ConsentEventsTable;
  suppressions: SuppressionsTable;
  dpa_versions: DpaVersionsTable;
  dpa_acceptances: DpaAcceptancesTable;
  privacy_requests: PrivacyRequestsTable;
  privacy_request_steps: PrivacyRequestStepsTable;
  privacy_breaches: PrivacyBreachesTable;
  consent_signups: ConsentSignupsTable;
  subscription_throttles: SubscriptionThrottlesTable;
  public_request_links: PublicRequestLinksTable;
  campaigns: CampaignsTable;
  campaign_recipients: CampaignRecipientsTable;
  retention_rules: RetentionRulesTable;
  legal_holds: LegalHoldsTable;
  retention_runs: RetentionRunsTable;
  backup_runs: BackupRunsTable;
  job_leases: JobLeasesTable;
  files: FilesTable;
  file_versions: FileVersionsTable;
}

export type TenantRow = Selectable<TenantsTable>;
export type NewTenantRow = Insertable<TenantsTable>;
export type TenantUpdate = Updateable<TenantsTable>;
export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type NewSessionRow = Insertable<SessionsTable>;

// Kept for columns that are generated by the database in later migrations.
export type { Generated };
