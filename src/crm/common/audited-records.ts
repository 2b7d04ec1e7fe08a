import type { AuditedRecords } from '../../audit-trail/audit-trail.service.js';
import { contactSubjectId } from '../people/contacts.service.js';
import { leadSubjectId } from '../people/leads.service.js';
import { readableRecords } from './readable.service.js';

/** The CRM's answers to what the audit trail asks of its records (who a contact or lead is, what a viewer may read). */
export const auditedRecords: AuditedRecords = {
  subjectOf: (db, actor, entity, id) => (entity === 'contacts' ? contactSubjectId(db, actor, id) : leadSubjectId(db, actor, id)),
  readable: readableRecords,
};
