import type { Language, UserRow } from '../db/schema.js';

/** A user as services and the API see them (identity.service.ts maps rows to it). */
export interface User {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  isAdmin: boolean;
  status: UserRow['status'];
  language: Language;
  mfaEnabled: boolean;
  /** Null: the tenant's root role. */
  roleId: string | null;
  /** Null: the built-in Administrator or Standard profile, after isAdmin. */
  profileId: string | null;
  createdAt: Date;
}
