import { sql, type Kysely } from 'kysely';
import type { CustomFieldType, Database } from '../../db/schema.js';

// The only SQL over custom field definitions.

export async function insertCustomField(
  db: Kysely<Database>,
  tenantId: string,
  row: {
    id: string;
    module: string;
    key: string;
    label: string;
    type: CustomFieldType;
    options: string[];
    personal: boolean;
    position: number;
  },
) {
  return db
    .insertInto('custom_fields')
    .values({ ...row, tenant_id: tenantId, options: JSON.stringify(row.options) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listCustomFields(db: Kysely<Database>, tenantId: string, module?: string) {
  let query = db
    .selectFrom('custom_fields')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('module')
    .orderBy('position')
    .orderBy('key');
  if (module) query = query.where('module', '=', module);
  return query.execute();
}

export async function findCustomField(db: Kysely<Database>, tenantId: string, id: string) {
  return db.selectFrom('custom_fields').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function updateCustomField(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  values: { label?: string; options?: string[]; position?: number },
) {
  return db
    .updateTable('custom_fields')
    .set({
      ...(values.label !== undefined ? { label: values.label } : {}),
      ...(values.options !== undefined ? { options: JSON.stringify(values.options) } : {}),
      ...(values.position !== undefined ? { position: values.position } : {}),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

const PLAIN_CUSTOM_TABLES = ['contacts', 'leads', 'organizations', 'deals', 'activities'] as const;

/** Drops a definition and its plain values; personal values fall away at each record's next write. */
export async function deleteCustomField(db: Kysely<Database>, tenantId: string, id: string, module: string, key: string) {
  if ((PLAIN_CUSTOM_TABLES as readonly string[]).includes(module)) {
    await sql`update ${sql.table(module)} set custom = custom - ${key}::text where tenant_id = ${tenantId} and custom ? ${key}::text`.execute(
      db,
    );
  }
  await db.deleteFrom('custom_fields').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}
