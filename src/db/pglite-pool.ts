import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

/**
 * A pg.Pool-shaped wrapper around one PGlite instance, so Kysely's own
 * PostgresDialect drives PGlite exactly as it drives a server.
 *
 * PGlite is one connection. `connect()` hands it to one holder at a time;
 * `release()` passes it to the next waiter in FIFO order. A transaction holds
 * the connection from `begin` to `commit`, so statements of other requests
 * can never slip into it.
 */

type Command = 'SELECT' | 'UPDATE' | 'DELETE' | 'INSERT' | 'MERGE';

const DML = /\b(insert|update|delete|merge)\b/i;

// Kysely reads the affected-row count only for DML commands; anything else is
// reported as SELECT. A CTE statement counts as DML when it contains one.
function commandOf(sql: string): Command {
  const first = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
  const verb = first === 'WITH' ? DML.exec(sql)?.[1]?.toUpperCase() : first;
  return verb === 'INSERT' || verb === 'UPDATE' || verb === 'DELETE' || verb === 'MERGE' ? verb : 'SELECT';
}

export class PGlitePool implements PostgresPool {
  private held = false;
  private readonly waiters: Array<(client: PostgresPoolClient) => void> = [];
  private readonly client: PostgresPoolClient;

  constructor(readonly pglite: PGlite) {
    // Kysely only uses the (sql, parameters) form; cursors (streaming) are not offered.
    const query = async (sql: string, parameters: readonly unknown[]) => {
      const result = await pglite.query(sql, parameters as unknown[]);
      return { command: commandOf(sql), rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
    };
    this.client = {
      query: query as PostgresPoolClient['query'],
      release: () => this.release(),
    };
  }

  connect(): Promise<PostgresPoolClient> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.client);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next(this.client);
    else this.held = false;
  }

  /** Number of callers waiting for the connection (exported as a metric). */
  get waiting(): number {
    return this.waiters.length;
  }

  get busy(): boolean {
    return this.held;
  }

  async end(): Promise<void> {
    await this.pglite.close();
  }
}
