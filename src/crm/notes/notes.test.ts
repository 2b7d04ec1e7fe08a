import { describe, expect, it } from 'vitest';
import { bearer, signInAdmin } from '../../../test/auth.js';
import { createTestTenant } from '../../../test/factories.js';
import { useTestServer } from '../../../test/server.js';

// Notes on a record: written, listed by their record, edited with a version, deleted.
// (Sealing under the person's key, erasure and tenant isolation: contacts.test.ts, tenant-isolation.test.ts.)

const t = useTestServer();

async function session() {
  const tt = await createTestTenant(t.handle.db);
  return { tt, token: await signInAdmin(t.app, tt) };
}

function post(token: string, url: string, payload: object) {
  return t.app.inject({ method: 'POST', url, headers: bearer(token), payload });
}

describe('notes', () => {
  it('are written on a contact, listed by contact, updated with a version and deleted', async () => {
    const { tt, token } = await session();
    const c = (await post(token, '/api/v1/contacts', { firstName: 'Noted', lastName: 'Person' })).json();
    const created = await post(token, '/api/v1/notes', { contactId: c.id, body: 'Called about the renewal' });
    expect(created.statusCode).toBe(201);
    const note = created.json();
    expect(note).toMatchObject({ contactId: c.id, authorId: tt.admin.id, body: 'Called about the renewal', version: 1 });
    const list = await t.app.inject({ url: `/api/v1/notes?contactId=${c.id}`, headers: bearer(token) });
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([note.id]);
    const edited = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/notes/${note.id}`,
      headers: bearer(token),
      payload: { body: 'Renewal signed', version: 1 },
    });
    expect(edited.json()).toMatchObject({ body: 'Renewal signed', version: 2 });
    const stale = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/notes/${note.id}`,
      headers: bearer(token),
      payload: { body: 'x', version: 1 },
    });
    expect(stale.statusCode).toBe(409);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/notes/${note.id}`, headers: bearer(token) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `/api/v1/notes/${note.id}`, headers: bearer(token) })).statusCode).toBe(404);
  });
});
