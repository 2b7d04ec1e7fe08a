import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from '../db/database.js';
import type { SignInHooks } from '../http/request-context.js';
import type { Keyring } from '../keys/keyring.js';
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
  keyring: Keyring,
  signIn: SignInHooks,
  imports: ImportLimits,
): void {
  void server.register(async (crm) => {
    crm.addHook('onRequest', signIn.user);
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
      register(crm, database, keyring);
    }
    registerImportRoutes(crm, database, keyring, imports);
  });
}
