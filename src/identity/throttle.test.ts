import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { login } from '../../test/auth.js';
import { createTestTenant } from '../../test/factories.js';
import { useTestServer } from '../../test/server.js';
import { ACCOUNT, delayAfter, IP } from './throttle.js';

const t = useTestServer();

// Each test signs in from its own address, so the per-IP counts of one test
// do not spill into another.
let nextIp = 1;
const fromIp = () => ({ remoteAddress: `10.0.${Math.floor(nextIp / 250)}.${nextIp++ % 250}` });

function attempt(body: { tenant: string; email: string; password: string }, ip: string) {
  return t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: body, remoteAddress: ip });
}

async function unblock(): Promise<void> {
  // Stands for the passing of time: every running delay ends now.
  await sql`update sign_in_throttles set blocked_until = now() - interval '1 second' where blocked_until is not null`.execute(t.handle.db);
}

describe('sign-in throttling', () => {
  it('doubles the delay after the free failures, up to 15 minutes', () => {
    expect([1, 5, 6, 7, 8, 14, 15, 30].map((n) => delayAfter(n, ACCOUNT))).toEqual([0, 0, 2, 4, 8, 512, 900, 900]);
    expect(delayAfter(20, IP)).toBe(0);
    expect(delayAfter(21, IP)).toBe(2);
  });

  it('ends 60 wrong passwords in a row in 429 with Retry-After, the right password too', async () => {
    const tt = await createTestTenant(t.handle.db);
    const ip = fromIp().remoteAddress;
    const statuses: number[] = [];
    let lastThrottled;
    for (let i = 0; i < 60; i++) {
      const res = await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: `wrong-${i}-password` }, ip);
      statuses.push(res.statusCode);
      if (res.statusCode === 429) lastThrottled = res;
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    expect(lastThrottled!.json().code).toBe('too_many_attempts');
    expect(Number(lastThrottled!.headers['retry-after'])).toBeGreaterThan(0);

    const right = await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword }, ip);
    expect(right.statusCode).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('lets the right password in once the delay is over, and a success resets the count', async () => {
    const tt = await createTestTenant(t.handle.db);
    const ip = fromIp().remoteAddress;
    for (let i = 0; i < 7; i++) await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: 'not the password' }, ip);
    expect((await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword }, ip)).statusCode).toBe(429);
    await unblock();
    expect((await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword }, ip)).statusCode).toBe(200);
    // Counting starts again from zero: five more failures are free.
    for (let i = 0; i < 5; i++) {
      expect((await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: 'wrong again!' }, ip)).statusCode).toBe(401);
    }
  });

  it('throttles an unknown account exactly like a known one (no enumeration)', async () => {
    const tt = await createTestTenant(t.handle.db);
    const ip = fromIp().remoteAddress;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 8; i++) {
      known.push((await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: 'nope nope' }, ip)).statusCode);
      unknown.push((await attempt({ tenant: tt.tenant.slug, email: 'ghost@nowhere.test', password: 'nope nope' }, ip)).statusCode);
    }
    expect(unknown).toEqual(known);
  });

  it('throttles an address that tries many accounts', async () => {
    const tt = await createTestTenant(t.handle.db);
    const ip = fromIp().remoteAddress;
    for (let i = 0; i < 21; i++) {
      await attempt({ tenant: tt.tenant.slug, email: `guess${i}@${tt.tenant.slug}.test`, password: 'Summer2026!' }, ip);
    }
    const res = await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword }, ip);
    expect(res.statusCode).toBe(429);
    // Another address is not affected.
    expect(
      (await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword }, fromIp().remoteAddress)).statusCode,
    ).toBe(200);
  });

  it('never allows more than 100 failures an hour for one account', async () => {
    const tt = await createTestTenant(t.handle.db);
    for (let i = 0; i < 100; i++) {
      // A fresh address each time and the delays lifted: only the hourly cap remains.
      await unblock();
      await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: 'still wrong' }, fromIp().remoteAddress);
    }
    const res = await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword }, fromIp().remoteAddress);
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(55 * 60);
  }, 60_000);

  it('admits exactly the free failures plus one of 60 parallel wrong passwords for one account', async () => {
    const tt = await createTestTenant(t.handle.db);
    const ip = fromIp().remoteAddress;
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: `parallel-${i}-wrong` }, ip)),
    );
    const statuses = answers.map((r) => r.statusCode);
    // One by one, the sixth wrong password is the one that starts the delay: the same six in parallel.
    expect(statuses.filter((s) => s === 401)).toHaveLength(ACCOUNT.freeFailures + 1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(60 - ACCOUNT.freeFailures - 1);
    for (const refused of answers.filter((r) => r.statusCode === 429)) {
      expect(refused.json().code).toBe('too_many_attempts');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
    const [row] = await t.handle.db
      .selectFrom('sign_in_throttles')
      .select('failures')
      .where('failures', '=', ACCOUNT.freeFailures + 1)
      .execute();
    expect(row).toBeDefined();
  });

  it('answers a flood of first attempts on a new tenant with 401 and 429 only: the records subject is never seen without its key', async () => {
    // Anonymous attempts seal their origin under the tenant's records subject, made on first
    // use outside any transaction; a subject visible before its key read as erased (404).
    for (let round = 0; round < 8; round++) {
      const tt = await createTestTenant(t.handle.db);
      const ip = fromIp().remoteAddress;
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) => attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: `flood-${i}-wrong` }, ip)),
      );
      expect(answers.map((r) => r.statusCode).filter((s) => s !== 401 && s !== 429)).toEqual([]);
    }
  }, 60_000);

  it('admits exactly the free failures plus one of 60 parallel attempts from one address on many accounts', async () => {
    const tt = await createTestTenant(t.handle.db);
    const ip = fromIp().remoteAddress;
    const statuses = (
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          attempt({ tenant: tt.tenant.slug, email: `spray${i}@${tt.tenant.slug}.test`, password: 'Summer2026!' }, ip),
        ),
      )
    ).map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(IP.freeFailures + 1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(60 - IP.freeFailures - 1);
  });

  it('gives a successful attempt back: signing in again and again from one office is never throttled', async () => {
    const tt = await createTestTenant(t.handle.db);
    const ip = fromIp().remoteAddress;
    for (let i = 0; i < IP.freeFailures + 5; i++) {
      expect((await attempt({ tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword }, ip)).statusCode).toBe(200);
    }
  }, 60_000);

  it('stores neither e-mail addresses nor IPs in the throttle table', async () => {
    const tt = await createTestTenant(t.handle.db);
    await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: 'wrong password' });
    const rows = await sql<{ dump: string }>`select encode(key, 'escape') as dump from sign_in_throttles`.execute(t.handle.db);
    for (const row of rows.rows) {
      expect(row.dump).not.toContain(tt.adminEmail);
      expect(row.dump).not.toContain('127.0.0.1');
    }
  });
});
