import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';
import { IMPORT_BATCH } from './imports.service.js';

// The import route on bad input and over a real socket: every refusal is a
// problem+json with a code (never a 500), and a refusal sent before the body
// is read reaches the client at once, after which the connection is closed
// instead of leaving the upload stalled.

const t = useTestServer({ CUSTODIA_IMPORT_LIMIT_BYTES: String(40 * 1024 * 1024) });
let s: CrmSession;
let port: number;

beforeAll(async () => {
  s = await crmSession(t);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await t.app.close();
});

function post(
  payload: string | Buffer | undefined,
  headers: Record<string, string> = { 'content-type': 'text/csv' },
  query = 'lawfulBasis=consent',
) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/imports/contacts?${query}`,
    headers: { authorization: `Bearer ${s.token}`, ...headers },
    ...(payload !== undefined ? { payload } : {}),
  });
}

function expectProblem(res: Awaited<ReturnType<typeof post>>, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json().code).toBe(code);
}

describe('the import route refuses bad input with a code, never a 500', () => {
  it('an empty body, with or without a content-type, and a header without rows', async () => {
    expectProblem(await post(undefined, {}), 400, 'invalid_csv');
    expectProblem(await post(''), 400, 'invalid_csv');
    expectProblem(await post('', { 'content-type': 'text/vcard' }), 400, 'invalid_vcard');
    expectProblem(await post('firstName,lastName,email\r\n'), 400, 'invalid_csv');
    expectProblem(await post('\r\n\r\n   \r\n'), 400, 'invalid_csv');
  });

  it('a content-type that is not CSV or vCard, and a charset nobody can decode', async () => {
    expectProblem(await post('{"firstName":"A"}', { 'content-type': 'application/json' }), 415, 'unsupported_media_type');
    expectProblem(await post('firstName\nA\n', { 'content-type': 'multipart/form-data; boundary=x' }), 415, 'unsupported_media_type');
    expectProblem(await post('firstName\nA\n', { 'content-type': 'text/csv; charset=klingon' }), 400, 'unsupported_charset');
  });

  it('binary garbage, NUL bytes, a vCard without cards, a mapping that names nothing', async () => {
    expectProblem(await post(randomBytes(64 * 1024)), 400, 'invalid_csv');
    expectProblem(
      await post(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(4096)])),
      400,
      'invalid_csv',
    );
    expectProblem(await post('\u0000\u0000,\u0000\nA,a@example.test\n'), 400, 'invalid_csv');
    const nul = await post(
      'firstName,lastName,email,organization\nA\u0000,B,a@example.test,Org\nC,D,c@example.test,Nul\u0000 BV\nE,F,e@example.test,Fine BV\n',
    );
    expect(nul.statusCode, nul.body).toBe(200);
    // A NUL in a name refuses the row; in an organization (optional) the person goes in without it.
    expect(nul.json()).toMatchObject({
      created: 2,
      errors: [{ line: 2, message: 'holds a NUL character' }],
      warnings: [{ line: 3, field: 'organization', message: 'holds a NUL character' }],
    });
    const card = await post('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nul Org\r\nORG:Nul\u0000 BV\r\nEND:VCARD\r\n', {
      'content-type': 'text/vcard',
    });
    expect(card.json()).toMatchObject({
      created: 1,
      errors: [],
      warnings: [{ line: 1, field: 'organization', message: 'holds a NUL character' }],
    });
    const nameless = await post('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nul\u0000 Name\r\nEND:VCARD\r\n', { 'content-type': 'text/vcard' });
    expect(nameless.json()).toMatchObject({ created: 0, errors: [{ line: 1, message: 'holds a NUL character' }] });
    expectProblem(await post('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', { 'content-type': 'text/vcard' }), 400, 'invalid_vcard');
    expectProblem(await post('firstName\nA\n', undefined, 'lawfulBasis=consent&mapping=firstName'), 400, 'invalid_mapping');
  });

  it('a huge single field ends the readable part (what came before stands) or, with no header before it, the file', async () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const after = await post(`firstName,lastName,email\nA,B,huge-a@example.test\n"${huge}",C,c@example.test\n`);
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json()).toMatchObject({
      created: 1,
      errorCount: 1,
      errors: [{ line: 3, message: expect.stringContaining('cannot be read from here on') }],
    });
    expectProblem(await post(huge), 400, 'invalid_csv');
    const card = await post(
      `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Long Note\r\nNOTE:${huge}\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Short Note\r\nEND:VCARD\r\n`,
      { 'content-type': 'text/vcard' },
    );
    expect(card.json()).toMatchObject({ rows: 2, created: 1, errors: [{ line: 1, message: expect.stringContaining('longer than') }] });
  });

  it('a body over CUSTODIA_IMPORT_LIMIT_BYTES is 413', async () => {
    const header = 'firstName,lastName,email\n';
    const row = 'Over,Limit,over@example.test\n';
    expectProblem(await post(header + row.repeat(Math.ceil((41 * 1024 * 1024) / row.length))), 413, 'import_too_large');
  });
});

/**
 * A raw HTTP/1.1 client over a socket. `readEarly`: it reads while it sends
 * and stops sending once answered (as curl does); otherwise it sends the whole
 * body before it reads (as Python's http.client does). Times the answer and
 * the close of the connection.
 */
function upload(
  head: string,
  total: number,
  readEarly: boolean,
): Promise<{ answer: string; answeredAt: number; closedAt: number; sentAtAnswer: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let answeredAt = -1;
    let sent = 0;
    let sentAtAnswer = -1;
    const chunk = Buffer.alloc(256 * 1024, 'x'); // one line, no header: refused after the first megabyte
    const finish = () => resolve({ answer, answeredAt, closedAt: performance.now() - started, sentAtAnswer });
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `not answered and closed within 20 s (answered ${answeredAt >= 0 ? `after ${Math.round(answeredAt)} ms` : 'never'}, ${sent} bytes sent)`,
        ),
      );
    }, 20_000);
    socket.on('data', (data) => {
      if (answeredAt < 0) {
        answeredAt = performance.now() - started;
        sentAtAnswer = sent;
      }
      answer += data.toString('latin1');
      // A complete answer (its body as long as it says) is all this client waits for; then it hangs up, as curl does.
      const [headers, body] = answer.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(headers ?? '')?.[1] ?? NaN);
      if (body !== undefined && Buffer.byteLength(body, 'latin1') >= length) {
        clearTimeout(giveUp);
        socket.destroy();
        finish();
      }
    });
    if (!readEarly) socket.pause(); // reads nothing until the body is sent
    socket.on('error', () => undefined); // the server closing while we write: expected
    socket.on('close', () => {
      clearTimeout(giveUp);
      finish();
    });
    socket.on('connect', async () => {
      socket.write(head);
      while (sent < total && !socket.destroyed && (!readEarly || answeredAt < 0)) {
        const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += part.length;
        if (!socket.write(part)) await new Promise((done) => socket.once('drain', done));
      }
      socket.resume();
    });
  });
}

describe('an import refused early answers at once, whatever the client', () => {
  const request = (query: string, total: number, type = 'text/csv') =>
    `POST /api/v1/imports/contacts?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${s.token}\r\n` +
    `Content-Type: ${type}\r\nContent-Length: ${total}\r\n\r\n`;
  const total = 30 * 1024 * 1024;

  it('a 30 MB single-line upload from a client that sends it all before reading gets its 400 (the rest is drained, not left to stall)', async () => {
    const result = await upload(request('lawfulBasis=consent', total), total, false);
    expect(result.answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(result.answer).toContain('"code":"invalid_csv"');
    expect(result.answeredAt).toBeLessThan(10_000);
  });

  it('a client that reads while it sends has the 400 after the first megabytes and stops there', async () => {
    const result = await upload(request('lawfulBasis=consent', total), total, true);
    expect(result.answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(result.answeredAt).toBeLessThan(5000);
    expect(result.sentAtAnswer).toBeLessThan(total);
  });

  it("Node's own HTTP client gets the 400 while it is still uploading", async () => {
    const started = performance.now();
    let sent = 0;
    let sentAtAnswer = -1;
    const outcome = await new Promise<{ status: number; body: string; at: number }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/imports/contacts?lawfulBasis=consent',
          headers: { authorization: `Bearer ${s.token}`, 'content-type': 'text/csv', 'content-length': total },
        },
        (res) => {
          sentAtAnswer = sent;
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body, at: performance.now() - started }));
          res.on('error', () => resolve({ status: res.statusCode!, body, at: performance.now() - started }));
        },
      );
      req.on('error', () => undefined); // the server closing the upload: expected once answered
      setTimeout(() => reject(new Error(`no answer within 15 s, ${sent} bytes sent`)), 15_000).unref();
      const chunk = Buffer.alloc(256 * 1024, 'z');
      const pump = () => {
        while (sent < total && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
      };
      pump();
    });
    expect(outcome.status).toBe(400);
    expect(JSON.parse(outcome.body)).toMatchObject({ code: 'invalid_csv' });
    expect(outcome.at).toBeLessThan(5000);
    expect(sentAtAnswer).toBeLessThan(total);
  });

  it('refusals before the body is read (no lawful basis, wrong media type) answer before the upload, for both kinds of client', async () => {
    for (const readEarly of [true, false]) {
      const basis = await upload(request('', total), total, readEarly);
      expect(basis.answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(basis.answer).toContain('"code":"lawful_basis_required"');
      expect(basis.answeredAt).toBeLessThan(10_000);
      const media = await upload(request('lawfulBasis=consent', total, 'application/octet-stream'), total, readEarly);
      expect(media.answer).toMatch(/^HTTP\/1\.1 415 /);
    }
  });

  it('a body declared over the limit is 413 at once, and a client that keeps sending is cut off once the limit is drained', async () => {
    const huge = 200 * 1024 * 1024;
    const result = await upload(request('lawfulBasis=consent', huge), huge, true);
    expect(result.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.answer).toContain('"code":"import_too_large"');
    expect(result.answeredAt).toBeLessThan(2000);
    const cutOff = await upload(request('lawfulBasis=consent', huge), huge, false);
    expect(cutOff.closedAt).toBeLessThan(10_000); // closed after 40 MB (the test's limit) or 5 s, not after 200 MB
  });
});

/** Rows of a CSV body with unique, fake people from `from`. */
function people(from: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `Named,Person ${from + i},named-${from + i}@example.test\n`).join('');
}

/** POST over a real socket with a body that is written as the test says, answering once the server has. */
function streamedImport(query: string, token = s.token) {
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: `/api/v1/imports/contacts?${query}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'transfer-encoding': 'chunked' },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
  });
  return { req, answer };
}

describe('an import the client names up front can be followed while it uploads', () => {
  it('GET /imports/{id} shows a running import with the first batch written, then the final answer under that id', async () => {
    const importId = randomUUID();
    const { req, answer } = streamedImport(`lawfulBasis=consent&importId=${importId}`);
    const first = IMPORT_BATCH + 20;
    req.write(`firstName,lastName,email\n${people(0, first)}`); // the body pauses here, after the first batch
    let status: { status: string; rows: number; created: number; startedBy: string } | undefined;
    for (let tries = 0; tries < 200; tries++) {
      const res = await s.get(`/api/v1/imports/${importId}`);
      if (res.statusCode === 200) {
        status = res.json();
        if (status!.created > 0) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toMatchObject({ status: 'running', created: IMPORT_BATCH, startedBy: s.tt.admin.id });
    expect(status!.rows).toBeGreaterThanOrEqual(IMPORT_BATCH);
    expect(status!.rows).toBeLessThanOrEqual(first);

    req.end(people(first, 30));
    const done = await answer;
    expect(done.status, done.body).toBe(200);
    expect(JSON.parse(done.body)).toMatchObject({ id: importId, rows: first + 30, created: first + 30, errorCount: 0 });
    const final = await s.get(`/api/v1/imports/${importId}`);
    expect(final.json()).toMatchObject({ id: importId, status: 'done', rows: first + 30, created: first + 30 });
  });

  it('an id already used in the tenant is 409 import_exists and leaves the first import as it was; a malformed id is 400', async () => {
    const importId = randomUUID();
    const csv = 'firstName,lastName,email\nOnce,Only,once-only@example.test\n';
    const first = await post(csv, undefined, `lawfulBasis=consent&importId=${importId}`);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ id: importId, created: 1 });
    expectProblem(
      await post('firstName,lastName,email\nTwice,Again,twice@example.test\n', undefined, `lawfulBasis=consent&importId=${importId}`),
      409,
      'import_exists',
    );
    expect((await s.get(`/api/v1/imports/${importId}`)).json()).toMatchObject({ status: 'done', created: 1, rows: 1 });
    expect((await s.get('/api/v1/contacts?email=twice@example.test')).json().items).toEqual([]);
    const malformed = await post(csv, undefined, 'lawfulBasis=consent&importId=not-a-uuid');
    expect(malformed.statusCode, malformed.body).toBe(400);
    expect(malformed.headers['content-type']).toContain('application/problem+json');
  });

  it('another tenant, and a user of the tenant who did not start it and is no admin, find no such import', async () => {
    const importId = randomUUID();
    const started = await post(
      'firstName,lastName,email\nMine,Alone,mine-alone@example.test\n',
      undefined,
      `lawfulBasis=consent&importId=${importId}`,
    );
    expect(started.statusCode, started.body).toBe(200);
    const other = await crmSession(t);
    expect((await other.get(`/api/v1/imports/${importId}`)).statusCode).toBe(404);
    const member = await memberSession(t, s);
    expect((await member.get(`/api/v1/imports/${importId}`)).statusCode).toBe(404);
    // The same id is free in another tenant (ids are per tenant), and says nothing about this one.
    const theirs = await t.app.inject({
      method: 'POST',
      url: `/api/v1/imports/contacts?lawfulBasis=consent&importId=${importId}`,
      headers: { authorization: `Bearer ${other.token}`, 'content-type': 'text/csv' },
      payload: 'firstName,lastName,email\nTheirs,Own,theirs-own@example.test\n',
    });
    expect(theirs.statusCode, theirs.body).toBe(200);
    expect((await s.get(`/api/v1/imports/${importId}`)).json()).toMatchObject({ created: 1, startedBy: s.tt.admin.id });
  });
});
