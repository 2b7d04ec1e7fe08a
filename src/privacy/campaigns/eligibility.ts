import type { CampaignSkipReason } from '../../db/schema.js';
import type { PurposeRow } from '../purposes/purposes.repository.js';

/** What the consent ledger says about one person for the campaign's purpose. */
export interface ConsentFacts {
  /** The current state for the purpose; null when the person never gave or withdrew it. */
  status: 'granted' | 'withdrawn' | null;
  /** When that state was reached. */
  at: Date | null;
  /** The newest objection to direct marketing, if any. */
  objectedToMarketingAt: Date | null;
}

/**
 * Whether a person may be mailed for a purpose, and if not, why. Null means
 * they may. Only the ledger decides; an address is looked at by the caller.
 *
 * - Direct marketing after an objection (Art. 21(3)): never, unless the person
 *   opted in again by their own act after objecting (the ledger only lets their
 *   own form or confirmation grant a marketing purpose after an objection).
 * - Marketing, or any purpose whose lawful basis is consent: only with a current grant.
 * - A non-marketing purpose on another basis (e.g. a contract): everyone,
 *   except who withdrew or objected for that purpose.
 */
export function skipReason(purpose: Pick<PurposeRow, 'marketing' | 'lawful_basis'>, facts: ConsentFacts): CampaignSkipReason | null {
  const granted = facts.status === 'granted';
  if (purpose.marketing && facts.objectedToMarketingAt) {
    const optedInAgain = granted && facts.at !== null && facts.at > facts.objectedToMarketingAt;
    if (!optedInAgain) return 'objected';
  }
  if (purpose.marketing || purpose.lawful_basis === 'consent') return granted ? null : 'no_consent';
  return facts.status === 'withdrawn' ? 'objected' : null;
}
