import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from '../db/database.js';
import { requireAuth } from '../http/auth.js';
import type { IdentitySettings } from '../identity/identity.service.js';
import { registerActivityRoutes } from './activities/activities.routes.js';
import { registerCustomFieldRoutes } from './custom-fields/custom-fields.routes.js';
import { registerDealRoutes } from './deals/deals.routes.js';
import { registerPipelineRoutes } from './deals/pipelines.routes.js';
import { registerEmailMessageRoutes } from './email-messages/email-messages.routes.js';
import { registerImportRoutes, type ImportLimits } from './import-export/imports.routes.js';
import { registerNoteRoutes } from './notes/notes.routes.js';
import { registerOrganizationRoutes } from './organizations/organizations.routes.js';
import { registerPeopleRoutes } from './people/people.routes.js';
import { registerRecycleBinRoutes } from './recycle-bin/recycle-bin.routes.js';
import { registerSearchRoutes } from './search/search.routes.js';
import { registerTagRoutes } from './tags/tags.routes.js';

/**
 * Every CRM route, in one encapsulated scope whose single onRequest hook
 * signs the caller in: no CRM route can be added without authentication.
 */
export function registerCrmRoutes(
  server: FastifyInstance,
  database: DatabaseHandle,
  settings: IdentitySettings,
  imports: ImportLimits,
): void {
  void server.register(async (crm) => {
    crm.addHook('onRequest', requireAuth(database.db, settings));
    for (const register of [
      registerPeopleRoutes,
      registerOrganizationRoutes,
      registerDealRoutes,
      registerPipelineRoutes,
      registerActivityRoutes,
      registerNoteRoutes,
      registerEmailMessageRoutes,
      registerTagRoutes,
      registerCustomFieldRoutes,
      registerRecycleBinRoutes,
      registerSearchRoutes,
    ]) {
      register(crm, database, settings);
    }
    registerImportRoutes(crm, database, settings, imports);
  });
}
