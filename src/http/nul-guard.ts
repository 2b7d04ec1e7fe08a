import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem.js';

/**
 * PostgreSQL text cannot hold U+0000: a NUL that reaches a query fails there
 * as a server error. No field of this API has a use for one, so every route
 * refuses it at the door, in the query, the path and any JSON body, before
 * schema validation and before any value reaches SQL.
 */
export function refuseNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request, reply) => {
    for (const [part, value] of [
      ['query', request.query],
      ['params', request.params],
      ['body', request.body],
    ] as const) {
      const path = pathToNul(value);
      if (path === null) continue;
      return sendProblem(request, reply, 400, 'invalid_text', `the ${part} holds a NUL character (U+0000), which no text may contain`, {
        errors: [{ path: `${part}${path}`, message: 'must not contain U+0000' }],
      });
    }
    return undefined;
  });
}

// Only names that are clearly field names are echoed back; anything else could be the sender's data.
const FIELD_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Where the first NUL sits in parsed input (strings, and the keys of plain
 * objects and arrays), as a JSON pointer; null when there is none. Walks with
 * its own stack, so a deeply nested body cannot exhaust the call stack, and
 * leaves alone what a parser did not build (e.g. the stream of a CSV upload).
 */
export function pathToNul(input: unknown): string | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value: input, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (!Array.isArray(value) && !isPlainRecord(value)) continue;
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return path;
      stack.push({ value: item, path: `${path}/${FIELD_NAME.test(key) ? key : '*'}` });
    }
  }
  return null;
}

// JSON.parse builds plain objects; the query parser builds objects whose prototype has no prototype.
function isPlainRecord(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}
