import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import type { SignInHooks } from '../http/request-context.js';
import type { Keyring } from '../keys/keyring.js';
import { registerDpaRoutes } from './dpa/dpa.routes.js';
import { registerPurposeRoutes } from './purposes/purposes.routes.js';
import { registerRecordOfProcessingRoutes } from './record-of-processing.routes.js';
import { registerConsentRoutes } from './consents/consents.routes.js';
import { registerRequestRoutes } from './requests/requests.routes.js';
import { registerBreachRoutes } from './breaches/breaches.routes.js';
import { registerSubscriptionRoutes } from './public/subscriptions.routes.js';
import { registerCampaignRoutes } from './campaigns/campaigns.routes.js';
import { registerErasureRoutes } from './erasure/erasure.routes.js';
import { registerRestrictionRoutes } from './restriction/restriction.routes.js';
import { registerRetentionRoutes } from './retention/retention.routes.js';
import { registerAccessPackageRoutes } from './access-package/access-package.routes.js';
import { registerPublicFormAddressRoute, registerPublicRequestRoutes } from './public-requests/public-requests.routes.js';

/** What the privacy area's routes need besides the database and the keys. */
export type PrivacySettings = Pick<Config, 'publicUrl' | 'subscriptions' | 'campaigns' | 'files' | 's3' | 'backups'>;

export type PrivacyRegistrar = (server: FastifyInstance, database: DatabaseHandle, keyring: Keyring, settings: PrivacySettings) => void;

/** Routes for signed-in staff (purposes, notices, consents on people, campaigns, the Art. 30 record, the DPA). */
const STAFF: PrivacyRegistrar[] = [
  registerPurposeRoutes,
  registerRecordOfProcessingRoutes,
  registerDpaRoutes,
  registerConsentRoutes,
  registerRequestRoutes,
  registerBreachRoutes,
  registerCampaignRoutes,
  registerErasureRoutes,
  registerRestrictionRoutes,
  registerRetentionRoutes,
  registerAccessPackageRoutes,
  registerPublicFormAddressRoute,
];

/**
 * Routes a data subject reaches without an account, under /api/v1/public/{tenant}/…
 * (subscribe, confirm, unsubscribe): rate-limited, answering nothing that reveals
 * whether an address is known.
 */
const PUBLIC: PrivacyRegistrar[] = [registerSubscriptionRoutes, registerPublicRequestRoutes];

/**
 * The privacy area: staff routes in one encapsulated scope whose single
 * onRequest hook signs the caller in, public routes in another with none.
 */
export function registerPrivacyRoutes(
  server: FastifyInstance,
  database: DatabaseHandle,
  keyring: Keyring,
  signIn: SignInHooks,
  settings: PrivacySettings,
): void {
  void server.register(async (staff) => {
    staff.addHook('onRequest', signIn.user);
    for (const register of STAFF) register(staff, database, keyring, settings);
  });
  void server.register(async (open) => {
    for (const register of PUBLIC) register(open, database, keyring, settings);
  });
}
