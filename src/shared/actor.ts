import type { ApiTokenScope, Language, UserRow } from '../db/schema.js';

// The signed-in actor every layer acts for: who, in which tenant, by which credential, from where.
// Identity produces it (identity/auth.ts); every service takes it.

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

/** Who is making a request, as far as security events care. */
export interface RequestOrigin {
  ip?: string;
  userAgent?: string;
}

/** Where a request came from; the HTTP auth hook puts it on the actor. */
export interface AuditOrigin {
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

export interface Authenticated {
  tenantId: string;
  user: User;
  via: 'session' | 'token';
  /** The session, when authenticated by one. */
  sessionId?: string;
  /** The API token, when authenticated by one. */
  tokenId?: string;
  /** What the credential allows; a session allows everything its user may do. */
  scopes: ApiTokenScope[];
  mfaEnrolmentRequired: boolean;
  /** The user's subject: their key seals where their requests come from (audit/origin.ts). */
  userSubjectId?: string | null;
  /** The request this actor is acting in (set by the HTTP auth hook). */
  origin?: AuditOrigin;
}
