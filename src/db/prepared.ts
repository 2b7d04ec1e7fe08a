import { createHash } from 'node:crypto';
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type pg from 'pg';
import type { Database } from './schema.js';

/**
 * Statements on the hot paths (a contact read by id, say), built with Kysely
 * once and then run as they are:
 *
 * - Kysely compiles the query on first use only; later calls bind new values
 *   to the same SQL text (no query tree built, visited and frozen each time);
 * - on PostgreSQL the text is a named prepared statement, parsed once per pool
 *   connection, and after a few runs PostgreSQL plans it once instead of per
 *   call (a joined read spends more time in the planner than executing).
 *
 * Only texts registered here are prepared, so a connection holds a fixed,
 * small set of statements (variable-length IN lists or multi-row inserts
 * would each make a new one).
 */

const statementNames = new Map<string, string>();

/** The prepared statement name of a registered SQL text. */
export function preparedNameOf(text: string): string | undefined {
  return statementNames.get(text);
}

function register(text: string): void {
  if (!statementNames.has(text)) statementNames.set(text, `custodia_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`);
}

const PLACEHOLDER = '\u0000custodia-parameter:';

/**
 * A query compiled once from a builder whose values are named placeholders.
 * `build` receives `param(name)` for each value that changes between calls;
 * anything else it passes stays a constant of the statement. Structural
 * choices (which table, which filter) must be fixed per precompiled query.
 */
export function precompiled<P extends string, R>(build: (param: (name: P) => string) => Compilable<R>) {
  let compiled: { sql: string; slots: Array<{ name: P } | { value: unknown }> } | undefined;
  return async (db: Kysely<Database>, values: Record<P, unknown>): Promise<R[]> => {
    if (!compiled) {
      const query = build((name) => `${PLACEHOLDER}${name}`).compile();
      const slots = query.parameters.map((value) =>
        typeof value === 'string' && value.startsWith(PLACEHOLDER) ? { name: value.slice(PLACEHOLDER.length) as P } : { value },
      );
      register(query.sql);
      compiled = { sql: query.sql, slots };
    }
    const parameters = compiled.slots.map((slot) => ('name' in slot ? values[slot.name] : slot.value));
    const result = await db.executeQuery<R>(CompiledQuery.raw(compiled.sql, parameters));
    return result.rows;
  };
}

/** A fixed SQL text run with new parameters each time, prepared like a precompiled query. */
export function preparedStatement<R>(text: string) {
  register(text);
  return async (db: Kysely<Database>, parameters: unknown[]): Promise<R[]> =>
    (await db.executeQuery<R>(CompiledQuery.raw(text, parameters))).rows;
}

/** Makes a pool connection run registered texts as named prepared statements. */
export function prepareRegisteredStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (config: unknown, values?: unknown, callback?: unknown) => unknown;
  (client as { query: unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
    const name = typeof config === 'string' ? statementNames.get(config) : undefined;
    if (name === undefined) return query(config, values, callback);
    return typeof callback === 'function' ? query({ name, text: config, values }, callback) : query({ name, text: config, values });
  };
}
