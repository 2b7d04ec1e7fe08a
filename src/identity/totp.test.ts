import { Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { matchTotp, newTotpSecret, otpauthUri, qrCodeSvg, timeStep, totpCode } from './totp.js';

// RFC 6238 Appendix B, SHA-1 rows: the key is the ASCII "12345678901234567890".
// The RFC prints 8-digit codes; a 6-digit code is the same truncation mod 10^6.
const RFC_SECRET = Secret.fromLatin1('12345678901234567890').base32;
const VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP', () => {
  it.each(VECTORS)('reproduces the RFC 6238 vector at T=%i', (seconds, eightDigits) => {
    const at = new Date(seconds * 1000);
    expect(totpCode(RFC_SECRET, at)).toBe(eightDigits.slice(-6));
    expect(matchTotp(RFC_SECRET, eightDigits.slice(-6), at)).toBe(timeStep(at));
  });

  it('accepts one step of drift either way and no more', () => {
    const secret = newTotpSecret();
    const now = new Date(1_800_000_000_000);
    const step = timeStep(now);
    expect(matchTotp(secret, totpCode(secret, new Date(now.getTime() - 30_000)), now)).toBe(step - 1);
    expect(matchTotp(secret, totpCode(secret, new Date(now.getTime() + 30_000)), now)).toBe(step + 1);
    expect(matchTotp(secret, totpCode(secret, new Date(now.getTime() - 60_000)), now)).toBeNull();
    expect(matchTotp(secret, totpCode(secret, new Date(now.getTime() + 60_000)), now)).toBeNull();
  });

  it('refuses codes that are not six digits', () => {
    const secret = newTotpSecret();
    const code = totpCode(secret, new Date());
    expect(matchTotp(secret, `${code}0`, new Date())).toBeNull();
    expect(matchTotp(secret, 'abcdef', new Date())).toBeNull();
  });

  it('makes 160-bit secrets, an otpauth URI and a QR code for authenticator apps', async () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = otpauthUri(secret, 'acme:ann@acme.test', 'Custodia');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Custodia:acme%3Aann%40acme\.test\?/);
    expect(uri).toContain(`secret=${secret}`);
    expect(uri).toContain('algorithm=SHA1');
    expect(uri).toContain('digits=6');
    expect(uri).toContain('period=30');
    expect(await qrCodeSvg(uri)).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });
});
