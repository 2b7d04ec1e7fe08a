import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmSession, type CrmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';

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

function post(payload: string | Buffer | undefined, headers: Record<string, string> = { 'content-type': 'text/csv' }, query = 'lawfulBasis=consent') {
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
    expectProblem(await post(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(4096)])), 400, 'invalid_csv');
    expectProblem(await post('\u0000\u0000,\u0000\nA,a@example.test\n'), 400, 'invalid_csv');
    const nul = await post('firstName,lastName,email,organization\nA\u0000,B,a@example.test,Org\nC,D,c@example.test,Nul\u0000 BV\nE,F,e@example.test,Fine BV\n');
    expect(nul.statusCode, nul.body).toBe(200);
    expect(nul.json()).toMatchObject({ created: 1, errors: [{ line: 2, message: 'holds a NUL character' }, { line: 3, message: 'holds a NUL character' }] });
    const card = await post('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nul Org\r\nORG:Nul\u0000 BV\r\nEND:VCARD\r\n', { 'content-type': 'text/vcard' });
    expect(card.json()).toMatchObject({ created: 0, errors: [{ line: 1, message: 'holds a NUL character' }] });
    expectProblem(await post('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', { 'content-type': 'text/vcard' }), 400, 'invalid_vcard');
    expectProblem(await post('firstName\nA\n', undefined, 'lawfulBasis=consent&mapping=firstName'), 400, 'invalid_mapping');
  });

  it('a huge single field ends the readable part (what came before stands) or, with no header before it, the file', async () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const after = await post(`firstName,lastName,email\nA,B,huge-a@example.test\n"${huge}",C,c@example.test\n`);
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json()).toMatchObject({ created: 1, errorCount: 1, errors: [{ line: 3, message: expect.stringContaining('cannot be read from here on') }] });
    expectProblem(await post(huge), 400, 'invalid_csv');
    const card = await post(`BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Long Note\r\nNOTE:${huge}\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Short Note\r\nEND:VCARD\r\n`, { 'content-type': 'text/vcard' });
    expect(card.json()).toMatchObject({ rows: 2, created: 1, errors: [{ line: 1, message: expect.stringContaining('longer than') }] });
  });

  it('a body over CUSTODIA_IMPORT_LIMIT_BYTES is 413', async () => {
    const header = 'firstName,lastName,email\n';
    const row = 'Over,Limit,over@example.test\n';
    expectProblem(await post(header + row.repeat(Math.ceil((41 * 1024 * 1024) / row.length))), 413, 'import_too_large');
  });
});

/**
 * Sends a request of `total` bytes over a raw socket as fast as the server
 * takes it, and times when the answer arrives and when the connection closes.
 */
function upload(head: string, first: Buffer, total: number): Promise<{ answer: string; answeredAt: number; closedAt: number; sent: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let answeredAt = -1;
    let sent = 0;
    const filler = Buffer.alloc(256 * 1024, 'y');
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 15 s (answered ${answeredAt >= 0 ? `after ${Math.round(answeredAt)} ms` : 'never'}, ${sent} bytes sent)`));
    }, 15_000);
    socket.on('data', (chunk) => {
      if (answeredAt < 0) answeredAt = performance.now() - started;
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => undefined); // the server closing while we write: expected
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ answer, answeredAt, closedAt: performance.now() - started, sent });
    });
    socket.on('connect', async () => {
      socket.write(head);
      const write = (chunk: Buffer) =>
        new Promise<void>((done) => {
          sent += chunk.length;
          if (socket.write(chunk)) done();
          else socket.once('drain', done);
        });
      await write(first);
      while (sent < total && !socket.destroyed && answeredAt < 0) await write(filler.subarray(0, Math.min(filler.length, total - sent)));
      // Answered: go on uploading as a client that does not read early answers would, until the server closes.
      while (sent < total && !socket.destroyed) await write(filler.subarray(0, Math.min(filler.length, total - sent)));
    });
  });
}

describe('an import refused early answers at once and closes the connection', () => {
  const total = 30 * 1024 * 1024;
  const request = (query: string, type = 'text/csv') =>
    `POST /api/v1/imports/contacts?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${s.token}\r\n` +
    `Content-Type: ${type}\r\nContent-Length: ${total}\r\n\r\n`;

  it('a 30 MB single-line upload: the 400 comes after the first megabytes and the connection closes', async () => {
    const result = await upload(request('lawfulBasis=consent'), Buffer.alloc(2 * 1024 * 1024, 'x'), total);
    expect(result.answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(result.answer.toLowerCase()).toContain('connection: close');
    expect(result.answer).toContain('"code":"invalid_csv"');
    // Well before the body was sent, and closed within the linger bound (2 s, 8 MB) instead of waiting for the rest.
    expect(result.answeredAt).toBeLessThan(5000);
    expect(result.closedAt - result.answeredAt).toBeLessThan(4000);
    expect(result.sent).toBeLessThan(total);
  });

  it("Node's own HTTP client gets the 400 while it is still uploading, and its request ends there", async () => {
    const started = performance.now();
    let sent = 0;
    const outcome = await new Promise<{ status: number; body: string; at: number }>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, method: 'POST', path: '/api/v1/imports/contacts?lawfulBasis=consent', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'text/csv', 'content-length': total } },
        (res) => {
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
    expect(sent).toBeLessThan(total);
  });

  it('refusals before the body is read (no lawful basis, wrong media type) close the same way', async () => {
    const basis = await upload(request(''), Buffer.alloc(1024 * 1024, 'x'), total);
    expect(basis.answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(basis.answer).toContain('"code":"lawful_basis_required"');
    expect(basis.sent).toBeLessThan(total);
    const media = await upload(request('lawfulBasis=consent', 'application/octet-stream'), Buffer.alloc(1024 * 1024, 'x'), total);
    expect(media.answer).toMatch(/^HTTP\/1\.1 415 /);
    expect(media.sent).toBeLessThan(total);
  });
});
