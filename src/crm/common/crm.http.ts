import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { ProblemSchema } from '../../http/schemas.js';
import { MAX_PAGE } from '../../shared/cursor.js';
import { CrmError } from './crm.errors.js';

// Schema pieces and request helpers every CRM route file shares.

export const Uuid = () => Type.String({ format: 'uuid' });
/** A string that is one of these values. */
export function OneOf<const T extends string[]>(values: readonly [...T], options: { description?: string } = {}) {
  return Type.Enum<T>(values, options);
}

export const IdParams = Type.Object({ id: Uuid() });
export const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };
/** The answer of a delete: no body, or a problem. */
export const NoContent = { 204: Type.Null(), ...Problems };
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const Page = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 50, description: `Page size, 1 to ${MAX_PAGE}` })),
  cursor: Type.Optional(Type.String({ maxLength: 500, description: 'The nextCursor of the previous page' })),
};
export const PageOf = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
export const Version = {
  version: Type.Optional(Type.Integer({ minimum: 1, description: 'The version this change is based on (or send If-Match)' })),
};

/** The version an update expects: If-Match (a number, optionally quoted) or the body's `version`. */
export function ifMatch(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(String(header).trim());
  if (!match) throw new CrmError('invalid_field', 'If-Match must be the record version');
  return Number(match[1]);
}

// --- records shared by several modules ---------------------------------------------------

const NullableText = (max: number) => Type.Optional(Nullable(Type.String({ maxLength: max })));

export const AddressSchema = Type.Object({
  street: Nullable(Type.String()),
  postalCode: Nullable(Type.String()),
  city: Nullable(Type.String()),
  region: Nullable(Type.String()),
  country: Nullable(Type.String()),
});

export const AddressInput = Type.Object(
  {
    street: NullableText(200),
    postalCode: NullableText(20),
    city: NullableText(100),
    region: NullableText(100),
    country: NullableText(100),
  },
  { additionalProperties: false },
);

const CustomValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.String())]);
export const CustomValuesSchema = Type.Record(Type.String(), CustomValue, { description: 'Custom field values by key' });
// Values are checked against their field's type by the service: a schema union here would let the
// validator coerce 12 into "12" before anyone could tell a number from text.
export const CustomValuesInput = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
  description: 'Custom field values by key (text, number, boolean, YYYY-MM-DD, an option or a list of options); null removes one',
});
export const TagsInput = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), {
  maxItems: 50,
  description: 'Tag names; new names create tags',
});

/** The group a record is assigned to, in answers and in writes. */
export const OwnerGroupIdOut = Type.Optional(
  Nullable(Type.String({ format: 'uuid', description: 'The group the record is assigned to: every member has owner access' })),
);
export const OwnerGroupIdInput = Type.Optional(
  Nullable(
    Type.String({ format: 'uuid', description: 'Assign to a group (one you belong to, unless you are an administrator); null unassigns' }),
  ),
);

export const Ranges = {
  ownerId: Type.Optional(Uuid()),
  ownerGroupId: Type.Optional(Type.String({ format: 'uuid', description: 'Only records assigned to this group' })),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Only records with this tag (by name)' })),
  createdFrom: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after' })),
  createdTo: Type.Optional(Type.String({ format: 'date-time', description: 'Created before' })),
  updatedFrom: Type.Optional(Type.String({ format: 'date-time' })),
  updatedTo: Type.Optional(Type.String({ format: 'date-time' })),
};
