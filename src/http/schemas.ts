import { Type } from 'typebox';

/** A timestamp: a Date in code, an RFC 3339 string on the wire. */
export const DateTime = (options: { description?: string } = {}) => Type.Unsafe<Date>({ type: 'string', format: 'date-time', ...options });

const NullableString = Type.Union([Type.String(), Type.Null()]);

/** A security event as the API shows it (ids and reasons, never personal values). */
export const SecurityEventSchema = Type.Object({
  id: Type.String(),
  at: DateTime(),
  type: Type.String(),
  userId: NullableString,
  actorUserId: NullableString,
  ip: NullableString,
  details: Type.Record(Type.String(), Type.Unknown()),
});

/** RFC 9457 problem details, as every error response of the API is shaped. */
export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String({ description: 'Stable machine-readable error code' }),
  requestId: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});
