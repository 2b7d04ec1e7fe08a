import type { Kysely } from 'kysely';
import { AccessError } from '../../access/access.errors.js';
import { accessOf } from '../../access/access.service.js';
import type { Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import type { Keyring } from '../../keys/keyring.js';
import { listContacts } from '../people/contacts.service.js';
import { CrmError } from '../common/crm.errors.js';
import { listLeads } from '../people/leads.service.js';
import { listOrganizations } from '../organizations/organizations.service.js';
import { isEmailAddress } from '../../shared/email.js';
import * as repo from './search.repository.js';

/**
 * One search box for the whole CRM. What the text looks like decides how
 * people are searched: an e-mail address exactly, a phone number by its
 * digits, anything else by name words and prefixes (all through blind
 * indexes); companies and deals by part of their plain names.
 */

export interface SearchHit {
  module: 'contacts' | 'leads' | 'organizations' | 'deals';
  id: string;
  title: string;
  detail: string | null;
}

const PHONE = /^[+()0-9 ./-]{6,}$/;

/** A module the actor may not see or search this way adds nothing to the results. */
async function orNothing<T>(page: Promise<{ items: T[] }>): Promise<{ items: T[] }> {
  try {
    return await page;
  } catch (error) {
    if (error instanceof AccessError) return { items: [] };
    throw error;
  }
}

/** Minor units as a readable amount: 1250 EUR → "EUR 12.50", 1250 JPY → "JPY 1250". */
function money(minor: number, currency: string): string {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return `${currency} ${(minor / 10 ** digits).toFixed(digits)}`;
}

export async function searchEverything(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  query: { q: string; limit?: number },
): Promise<{ items: SearchHit[] }> {
  const text = query.q.trim();
  if (text.length < 2) throw new CrmError('invalid_field', 'search for at least 2 characters');
  const limit = Math.min(Math.max(query.limit ?? 5, 1), 20);
  const person = isEmailAddress(text) ? { email: text } : PHONE.test(text) ? { phone: text } : { q: text };
  const access = await accessOf(db, actor);
  const deals = access.can('deals', 'view') ? await repo.dealsTitled(db, actor.tenantId, text, limit, access.owners('deals', 'read')) : [];
  const [contacts, leads, organizations] = await Promise.all([
    orNothing(listContacts(db, keyring, actor, { ...person, limit, auditAs: 'search' })),
    orNothing(listLeads(db, keyring, actor, { ...person, limit, auditAs: 'search' })),
    orNothing(listOrganizations(db, actor, { q: text, limit })),
  ]);
  // A profile may hide names or e-mails: what is absent stays absent here too.
  const name = (p: { firstName?: string; lastName?: string }) => `${p.firstName ?? ''} ${p.lastName ?? ''}`.trim() || '—';
  return {
    items: [
      ...contacts.items.map((c) => ({ module: 'contacts' as const, id: c.id, title: name(c), detail: c.emails?.[0]?.value ?? null })),
      ...leads.items.map((l) => ({ module: 'leads' as const, id: l.id, title: name(l), detail: l.company ?? null })),
      ...organizations.items.map((o) => ({ module: 'organizations' as const, id: o.id, title: o.name, detail: o.domain })),
      ...deals.map((d) => ({
        module: 'deals' as const,
        id: d.id,
        title: d.title,
        detail: `${d.status} · ${money(Number(d.amount_minor), d.currency)}`,
      })),
    ],
  };
}
