/** What the global setup hands the tests (through the environment, as Playwright passes it to workers). */
export const E2E_ENV = {
  url: 'CUSTODIA_E2E_URL',
  tenant: 'CUSTODIA_E2E_TENANT',
  mfaTenant: 'CUSTODIA_E2E_MFA_TENANT',
  salesTenant: 'CUSTODIA_E2E_SALES_TENANT',
} as const;

export interface E2eTenant {
  slug: string;
  email: string;
  password: string;
}

export function e2eTenant(which: 'tenant' | 'mfaTenant' | 'salesTenant' = 'tenant'): E2eTenant {
  const value = process.env[E2E_ENV[which]];
  if (!value) throw new Error('run the browser tests with `npm run test:web` (its global setup starts the server)');
  return JSON.parse(value) as E2eTenant;
}
