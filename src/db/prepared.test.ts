import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testDbKind, useTestDatabase } from '../../test/db.js';
import { precompiled, preparedNameOf } from './prepared.js';

const t = useTestDatabase();

describe('precompiled statements', () => {
  const byName = precompiled<'tenantId' | 'pattern', { slug: string; marker: number }>((param) =>
    t.handle.db
      .selectFrom('tenants')
      .select(['slug', sql<number>`${7}::int`.as('marker')])
      .where('id', '=', param('tenantId'))
      .where('slug', 'like', param('pattern')),
  );

  it('binds new values on every call and keeps the constants of the builder', async () => {
    const db = t.handle.db;
    const suffix = Math.random().toString(36).slice(2, 8);
    await sql`insert into tenants (id, slug, name, status) values
      (gen_random_uuid(), ${`prep-a-${suffix}`}, 'A', 'active'), (gen_random_uuid(), ${`prep-b-${suffix}`}, 'B', 'active')`.execute(db);
    const rows = await db.selectFrom('tenants').select(['id', 'slug']).where('slug', 'like', `prep-_-${suffix}`).orderBy('slug').execute();
    expect(rows.length).toBe(2);
    for (const row of rows) {
      expect(await byName(db, { tenantId: row.id, pattern: row.slug })).toEqual([{ slug: row.slug, marker: 7 }]);
      expect(await byName(db, { tenantId: row.id, pattern: 'no such slug' })).toEqual([]);
    }
    // The other tenant's id with this slug: the values are not mixed up between calls.
    expect(await byName(db, { tenantId: rows[0]!.id, pattern: rows[1]!.slug })).toEqual([]);
  });

  it.runIf(testDbKind() === 'postgres')('runs as a named statement prepared once per connection on PostgreSQL', async () => {
    const db = t.handle.db;
    const [tenant] = await db.selectFrom('tenants').select(['id', 'slug']).where('slug', 'like', 'prep-a-%').limit(1).execute();
    await db.connection().execute(async (conn) => {
      await byName(conn, { tenantId: tenant!.id, pattern: '%' });
      await byName(conn, { tenantId: tenant!.id, pattern: tenant!.slug });
      const prepared = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(conn);
      const ours = prepared.rows.filter((r) => r.statement.includes('::int as "marker"'));
      expect(ours).toHaveLength(1);
      expect(ours[0]!.name).toBe(preparedNameOf(ours[0]!.statement));
    });
  });
});
