import type { Keyring } from '../keys/keyring.js';
import type { Kysely } from 'kysely';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { ApiTokenScope, Database } from '../db/schema.js';
import { newId } from '../shared/ids.js';
import * as credentials from './credentials.repository.js';
import { IdentityError } from './identity.errors.js';
import { API_TOKEN_PREFIX, hashSecret, newSecret, origin } from './identity.service.js';
import type { Authenticated, RequestOrigin } from '../shared/actor.js';

/** Personal API tokens: shown once, stored as a hash, limited by scopes and by their user's own rights. */

export interface ApiTokenView {
  id: string;
  name: string;
  scopes: ApiTokenScope[];
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
}

export const MAX_TOKEN_DAYS = 365;
export const DEFAULT_TOKEN_DAYS = 90;

function toView(row: Awaited<ReturnType<typeof credentials.insertApiToken>>): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}

export async function createApiToken(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: { name: string; scopes: ApiTokenScope[]; expiresInDays?: number } & RequestOrigin,
): Promise<ApiTokenView & { token: string }> {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100) throw new IdentityError('name_invalid', 'token name must be 1 to 100 characters');
  const scopes = [...new Set(input.scopes)].sort();
  if (scopes.includes('admin') && !actor.user.isAdmin) {
    throw new IdentityError('admin_required', 'only administrators can create tokens with the admin scope');
  }
  const days = input.expiresInDays ?? DEFAULT_TOKEN_DAYS;
  const token = newSecret(API_TOKEN_PREFIX);
  const row = await db.transaction().execute(async (trx) => {
    const inserted = await credentials.insertApiToken(trx, actor.tenantId, {
      id: newId(),
      userId: actor.user.id,
      name,
      hash: hashSecret(token),
      scopes,
      expiresAt: new Date(Date.now() + days * 86_400_000),
    });
    await recordSecurityEvent(trx, keyring, {
      tenantId: actor.tenantId,
      type: 'api_token.created',
      userId: actor.user.id,
      ...origin(input),
      details: { tokenId: inserted.id, scopes: scopes.join(' '), days },
    });
    return inserted;
  });
  return { ...toView(row), token };
}

export async function listApiTokens(db: Kysely<Database>, actor: Authenticated): Promise<ApiTokenView[]> {
  return (await credentials.listApiTokens(db, actor.tenantId, actor.user.id)).map(toView);
}

export async function revokeApiToken(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  tokenId: string,
  input: RequestOrigin,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await credentials.revokeApiToken(trx, actor.tenantId, actor.user.id, tokenId))) {
      throw new IdentityError('token_not_found', 'no such token');
    }
    await recordSecurityEvent(trx, keyring, {
      tenantId: actor.tenantId,
      type: 'api_token.revoked',
      userId: actor.user.id,
      ...origin(input),
      details: { tokenId },
    });
  });
}
