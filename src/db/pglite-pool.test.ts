import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteTemplate, testDbKind } from '../../test/db.js';
import { openPglite, type DatabaseHandle } from './database.js';

// The adapter under test is PGlite's own; the postgres project has nothing to run here.
describe.runIf(testDbKind() === 'pglite')('PGlitePool under Kysely', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openPglite({ loadDataDir: await pgliteTemplate() });
    await sql`create table counters (id int primary key, n int not null)`.execute(handle.db);
    await sql`insert into counters values (1, 0)`.execute(handle.db);
  });
  afterAll(() => handle.close());

  it('keeps concurrent transactions from interleaving on the one connection', async () => {
    // Each transaction reads, yields to the event loop, then writes read+1: lost
    // updates would show if another transaction's statements slipped in between.
    const increment = () =>
      handle.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ n: number }>`select n from counters where id = 1`.execute(trx);
        await new Promise((resolve) => setTimeout(resolve, 1));
        await sql`update counters set n = ${(rows[0]?.n ?? 0) + 1} where id = 1`.execute(trx);
      });
    await Promise.all(Array.from({ length: 25 }, increment));
    const { rows } = await sql<{ n: number }>`select n from counters where id = 1`.execute(handle.db);
    expect(rows[0]?.n).toBe(25);
  });

  it('rolls back a failed transaction and hands the connection on', async () => {
    await expect(
      handle.db.transaction().execute(async (trx) => {
        await sql`update counters set n = -1 where id = 1`.execute(trx);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const { rows } = await sql<{ n: number }>`select n from counters where id = 1`.execute(handle.db);
    expect(rows[0]?.n).not.toBe(-1);
    expect(handle.poolStats().waiting).toBe(0);
  });

  it('reports affected rows for DML, including statements with CTEs', async () => {
    await sql`insert into counters values (2, 0), (3, 0)`.execute(handle.db);
    const updated = await handle.db
      .updateTable('counters' as never)
      .set({ n: 5 } as never)
      .where('id' as never, 'in', [2, 3] as never)
      .executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(2n);
    const viaCte = await sql`with doomed as (select 3 as id) delete from counters where id in (select id from doomed)`.execute(handle.db);
    expect(viaCte.numAffectedRows).toBe(1n);
  });
});
