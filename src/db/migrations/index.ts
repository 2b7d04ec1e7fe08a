import type { Migration } from 'kysely';
import * as m0001 from './0001_tenants_users_sessions.js';
import * as m0002 from './0002_identity.js';
import * as m0003 from './0003_keys.js';
import * as m0004 from './0004_contacts_notes.js';
import * as m0005 from './0005_organizations.js';
import * as m0006 from './0006_leads_tags_custom_fields.js';
import * as m0007 from './0007_deals_activities.js';
import * as m0008 from './0008_imports.js';
import * as m0009 from './0009_access_control.js';
import * as m0010 from './0010_group_ownership.js';
import * as m0011 from './0011_audit.js';
import * as m0012 from './0012_list_indexes.js';
import * as m0013 from './0013_sealed_origins.js';
import * as m0014 from './0014_person_lookups.js';
import * as m0015 from './0015_consent.js';
import * as m0016 from './0016_dpa.js';
import * as m0017 from './0017_subscriptions.js';
import * as m0018 from './0018_campaigns.js';
import * as m0019 from './0019_requests_breaches.js';
import * as m0020 from './0020_erasure.js';
import * as m0021 from './0021_restriction.js';
import * as m0022 from './0022_retention.js';
import * as m0023 from './0023_public_requests.js';
import * as m0024 from './0024_consent_truncate_guard.js';
import * as m0025 from './0025_subject_indexes.js';
import * as m0026 from './0026_retention_purposes.js';
import * as m0027 from './0027_deal_holds.js';
import * as m0028 from './0028_backups.js';
import * as m0029 from './0029_files.js';

/** Every migration, in order. Names sort in the order they must run. */
export const migrations: Record<string, Migration> = {
  '0001_tenants_users_sessions': m0001,
  '0002_identity': m0002,
  '0003_keys': m0003,
  '0004_contacts_notes': m0004,
  '0005_organizations': m0005,
  '0006_leads_tags_custom_fields': m0006,
  '0007_deals_activities': m0007,
  '0008_imports': m0008,
  '0009_access_control': m0009,
  '0010_group_ownership': m0010,
  '0011_audit': m0011,
  '0012_list_indexes': m0012,
  '0013_sealed_origins': m0013,
  '0014_person_lookups': m0014,
  '0015_consent': m0015,
  '0016_dpa': m0016,
  '0017_subscriptions': m0017,
  '0018_campaigns': m0018,
  '0019_requests_breaches': m0019,
  '0020_erasure': m0020,
  '0021_restriction': m0021,
  '0022_retention': m0022,
  '0023_public_requests': m0023,
  '0024_consent_truncate_guard': m0024,
  '0025_subject_indexes': m0025,
  '0026_retention_purposes': m0026,
  '0027_deal_holds': m0027,
  '0028_backups': m0028,
  '0029_files': m0029,
};
