import type { Kysely } from 'kysely';
import type { CustomFieldType, Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import { isUniqueViolation } from '../../shared/domain-error.js';
import { newId } from '../../shared/ids.js';
import { CrmError } from '../common/crm.errors.js';
import * as repo from './custom-fields.repository.js';

/**
 * Custom fields: typed definitions per module. A field flagged personal holds
 * data about a person, so its values live in the person's encrypted details
 * and only people (contacts, leads) may have personal fields; the other
 * values are plain jsonb on the record, filterable in SQL.
 */

export const CUSTOM_FIELD_MODULES = ['contacts', 'leads', 'organizations', 'deals', 'activities'] as const;
export type CustomFieldModule = (typeof CUSTOM_FIELD_MODULES)[number];
export const CUSTOM_FIELD_TYPES: CustomFieldType[] = ['text', 'number', 'date', 'boolean', 'select', 'multiselect'];
const PERSON_MODULES: CustomFieldModule[] = ['contacts', 'leads'];

export interface CustomField {
  id: string;
  module: CustomFieldModule;
  key: string;
  label: string;
  type: CustomFieldType;
  options: string[];
  personal: boolean;
  position: number;
}

export type CustomValue = string | number | boolean | string[];
export type CustomValues = Record<string, CustomValue>;

type Row = Awaited<ReturnType<typeof repo.listCustomFields>>[number];

function toCustomField(row: Row): CustomField {
  return {
    id: row.id,
    module: row.module as CustomFieldModule,
    key: row.key,
    label: row.label,
    type: row.type,
    options: row.options,
    personal: row.personal,
    position: row.position,
  };
}

function assertAdmin(actor: Authenticated): void {
  if (!actor.user.isAdmin) throw new CrmError('admin_required', 'only administrators define custom fields');
}

function options(type: CustomFieldType, values: string[] | undefined): string[] {
  const list = (values ?? []).map((o) => o.trim()).filter(Boolean);
  if (type === 'select' || type === 'multiselect') {
    if (list.length === 0) throw new CrmError('invalid_field', 'a select field needs at least one option');
    if (new Set(list).size !== list.length) throw new CrmError('invalid_field', 'options must be distinct');
    return list;
  }
  if (list.length > 0) throw new CrmError('invalid_field', 'only select fields have options');
  return [];
}

export async function createCustomField(
  db: Kysely<Database>,
  actor: Authenticated,
  input: {
    module: CustomFieldModule;
    key: string;
    label: string;
    type: CustomFieldType;
    options?: string[];
    personal?: boolean;
    position?: number;
  },
): Promise<CustomField> {
  assertAdmin(actor);
  const personal = input.personal ?? false;
  if (personal && !PERSON_MODULES.includes(input.module)) {
    throw new CrmError('invalid_field', 'only contacts and leads hold personal custom fields; they are people');
  }
  try {
    return toCustomField(
      await repo.insertCustomField(db, actor.tenantId, {
        id: newId(),
        module: input.module,
        key: input.key,
        label: input.label.trim(),
        type: input.type,
        options: options(input.type, input.options),
        personal,
        position: input.position ?? 0,
      }),
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw new CrmError('duplicate_name', `${input.module} already has a custom field "${input.key}"`);
    throw error;
  }
}

export async function listCustomFields(db: Kysely<Database>, actor: Authenticated, module?: CustomFieldModule): Promise<CustomField[]> {
  return (await repo.listCustomFields(db, actor.tenantId, module)).map(toCustomField);
}

export async function updateCustomField(
  db: Kysely<Database>,
  actor: Authenticated,
  id: string,
  input: { label?: string; options?: string[]; position?: number },
): Promise<CustomField> {
  assertAdmin(actor);
  const current = await repo.findCustomField(db, actor.tenantId, id);
  if (!current) throw new CrmError('record_not_found', 'no such custom field');
  const row = await repo.updateCustomField(db, actor.tenantId, id, {
    ...(input.label !== undefined ? { label: input.label.trim() } : {}),
    ...(input.options !== undefined ? { options: options(current.type, input.options) } : {}),
    ...(input.position !== undefined ? { position: input.position } : {}),
  });
  return toCustomField(row!);
}

export async function deleteCustomField(db: Kysely<Database>, actor: Authenticated, id: string): Promise<void> {
  assertAdmin(actor);
  const current = await repo.findCustomField(db, actor.tenantId, id);
  if (!current) throw new CrmError('record_not_found', 'no such custom field');
  await db.transaction().execute((trx) => repo.deleteCustomField(trx, actor.tenantId, id, current.module, current.key));
}

/** The definitions of one module, for validating and splitting a record's values. */
export async function fieldsOf(db: Kysely<Database>, tenantId: string, module: CustomFieldModule): Promise<CustomField[]> {
  return (await repo.listCustomFields(db, tenantId, module)).map(toCustomField);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function checkValue(field: CustomField, value: unknown): CustomValue {
  const bad = (why: string) => new CrmError('invalid_field', `custom field "${field.key}" ${why}`);
  switch (field.type) {
    case 'text':
      if (typeof value !== 'string' || value.length > 2000) throw bad('takes text of at most 2,000 characters');
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('takes a number');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw bad('takes true or false');
      return value;
    case 'date':
      if (
        typeof value !== 'string' ||
        !DATE.test(value) ||
        Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ||
        new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value
      ) {
        throw bad('takes a date as YYYY-MM-DD');
      }
      return value;
    case 'select':
      if (typeof value !== 'string' || !field.options.includes(value)) throw bad(`takes one of: ${field.options.join(', ')}`);
      return value;
    case 'multiselect':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && field.options.includes(v))) {
        throw bad(`takes a list of: ${field.options.join(', ')}`);
      }
      return [...new Set(value as string[])];
  }
}

/**
 * Validates a record's custom values against the module's definitions and
 * merges them onto the current ones (null removes a value). Returns the plain
 * and the personal values apart; values of deleted definitions fall away.
 */
export function mergeCustomValues(
  fields: CustomField[],
  current: { plain: CustomValues; personal: CustomValues },
  input: Record<string, unknown> | undefined,
): { plain: CustomValues; personal: CustomValues } {
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const plain: CustomValues = {};
  const personal: CustomValues = {};
  for (const [key, value] of [...Object.entries(current.plain), ...Object.entries(current.personal)]) {
    const field = byKey.get(key);
    if (field) (field.personal ? personal : plain)[key] = value;
  }
  for (const [key, value] of Object.entries(input ?? {})) {
    const field = byKey.get(key);
    if (!field) throw new CrmError('invalid_field', `there is no custom field "${key}" here`);
    const target = field.personal ? personal : plain;
    if (value === null) delete target[key];
    else target[key] = checkValue(field, value);
  }
  return { plain, personal };
}

/** For modules without personal fields: the record's custom values validated and merged, as the jsonb to store. */
export async function plainCustomValues(
  db: Kysely<Database>,
  tenantId: string,
  module: Exclude<CustomFieldModule, 'contacts' | 'leads'>,
  current: Record<string, unknown>,
  input: Record<string, unknown> | undefined,
): Promise<string> {
  const merged = mergeCustomValues(await fieldsOf(db, tenantId, module), { plain: current as CustomValues, personal: {} }, input);
  return JSON.stringify(merged.plain);
}
