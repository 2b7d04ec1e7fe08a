import { describe, expect, it } from 'vitest';
import { MailError } from './mail.errors.js';
import { renderMail, type MailTemplateName } from './mail.templates.js';

const reset = { name: 'Ann de Vries', resetUrl: 'https://crm.example.test/reset?token=abc123', expiresMinutes: 30 };

describe('mail templates', () => {
  it('writes the password reset in English', () => {
    const mail = renderMail('password_reset', 'en', reset);
    expect(mail.subject).toBe('Reset your Custodia password');
    expect(mail.text).toBe(
      [
        'Hello Ann de Vries,',
        'Someone asked to reset the password of your Custodia account. If that was you, choose a new password with this link:',
        'https://crm.example.test/reset?token=abc123',
        'The link works once and expires in 30 minutes.',
        'If you did not ask for this, you can ignore this e-mail: your password stays as it is.',
      ].join('\n\n') + '\n',
    );
    expect(mail.html).toContain('<html lang="en">');
    expect(mail.html).toContain('<a href="https://crm.example.test/reset?token=abc123">');
  });

  it('writes the password reset in Dutch', () => {
    const mail = renderMail('password_reset', 'nl', reset);
    expect(mail.subject).toBe('Je Custodia-wachtwoord opnieuw instellen');
    expect(mail.text).toContain('Hallo Ann de Vries,');
    expect(mail.text).toContain('Kies dan via deze link een nieuw wachtwoord:\n\nhttps://crm.example.test/reset?token=abc123');
    expect(mail.text).toContain('De link werkt één keer en verloopt over 30 minuten.');
    expect(mail.text).toContain('Heb je dit niet zelf aangevraagd? Dan kun je deze e-mail negeren');
    expect(mail.text).not.toMatch(/password|expires/);
    expect(mail.html).toContain('<html lang="nl">');
  });

  it('counts one minute in the singular', () => {
    expect(renderMail('password_reset', 'en', { ...reset, expiresMinutes: 1 }).text).toContain('expires in 1 minute.');
    expect(renderMail('password_reset', 'nl', { ...reset, expiresMinutes: 1 }).text).toContain('verloopt over 1 minuut.');
  });

  it('tells of a changed password in both languages, pointing to the administrator', () => {
    const en = renderMail('password_changed', 'en', { name: 'Ann' });
    expect(en.subject).toBe('Your Custodia password was changed');
    expect(en.text).toContain('If it was not you, contact your administrator right away.');
    const nl = renderMail('password_changed', 'nl', { name: 'Ann' });
    expect(nl.subject).toBe('Je Custodia-wachtwoord is gewijzigd');
    expect(nl.text).toContain('Was jij het niet? Neem dan meteen contact op met je beheerder.');
  });

  const invitation = {
    name: 'Ann de Vries',
    inviterName: 'Bob Jansen',
    tenantName: 'Acme BV',
    inviteUrl: 'https://crm.example.test/reset-password#token=abc123',
    expiresDays: 7,
  };

  it('writes the invitation in English, naming the tenant, the inviter and how long the link lives', () => {
    const mail = renderMail('invitation', 'en', invitation);
    expect(mail.subject).toBe('Bob Jansen invited you to Acme BV on Custodia');
    expect(mail.text).toBe(
      [
        'Hello Ann de Vries,',
        'Bob Jansen made you an account for Acme BV on Custodia. Choose your password with this link, then sign in:',
        'https://crm.example.test/reset-password#token=abc123',
        'The link works once and expires in 7 days. If it has expired, ask Bob Jansen to send a new invitation.',
        'If you did not expect this invitation, you can ignore this e-mail: nobody can sign in to the account until a password is chosen.',
      ].join('\n\n') + '\n',
    );
    expect(mail.html).toContain('<a href="https://crm.example.test/reset-password#token=abc123">');
  });

  it('writes the invitation in Dutch', () => {
    const mail = renderMail('invitation', 'nl', { ...invitation, expiresDays: 1 });
    expect(mail.subject).toBe('Bob Jansen heeft je uitgenodigd voor Acme BV in Custodia');
    expect(mail.text).toContain('Hallo Ann de Vries,');
    expect(mail.text).toContain('Bob Jansen heeft een account voor je aangemaakt bij Acme BV in Custodia.');
    expect(mail.text).toContain('De link werkt één keer en verloopt over 1 dag.');
    expect(mail.text).not.toMatch(/Choose|expires|invited/);
    expect(mail.html).toContain('<html lang="nl">');
  });

  it('escapes the inviter and the tenant in the invitation', () => {
    const mail = renderMail('invitation', 'en', {
      ...invitation,
      tenantName: '<b>Evil</b> & Co',
      inviterName: 'Eve\r\nBcc: x@example.test',
    });
    expect(mail.html).not.toContain('<b>');
    expect(mail.html).toContain('&lt;b&gt;Evil&lt;/b&gt; &amp; Co');
    expect(mail.subject).toBe('Eve Bcc: x@example.test invited you to <b>Evil</b> & Co on Custodia');
  });

  it('escapes every interpolated value in the HTML, and keeps the plain text literal', () => {
    const name = `<script>alert("x")</script> & 'Bob' <img src=x onerror=alert(1)>`;
    const mail = renderMail('password_changed', 'en', { name });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain(
      '<p>Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Bob&#39; &lt;img src=x onerror=alert(1)&gt;,</p>',
    );
    expect(mail.text).toContain(`Hello ${name},`);
  });

  it('keeps a hostile URL inside its attribute', () => {
    const mail = renderMail('password_reset', 'en', { ...reset, resetUrl: 'https://crm.example.test/r?t="><script>x</script>&a=1' });
    expect(mail.html).toContain('<a href="https://crm.example.test/r?t=&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;a=1">');
    expect(mail.html).not.toContain('<script>');
  });

  it.each(['javascript:alert(1)', 'data:text/html,hi', '/reset?token=relative'])('refuses the link %j', (resetUrl) => {
    expect(() => renderMail('password_reset', 'en', { ...reset, resetUrl })).toThrow(MailError);
  });

  it('keeps a name on one line, so it cannot add paragraphs of its own', () => {
    const mail = renderMail('password_changed', 'en', { name: 'Ann\n\nYour account is locked, call +31 20 000 0000\r\n' });
    expect(mail.text.startsWith('Hello Ann Your account is locked, call +31 20 000 0000,\n\n')).toBe(true);
  });

  it.each([0, -5, 2.5, Number.NaN])('refuses %d minutes', (expiresMinutes) => {
    expect(() => renderMail('password_reset', 'en', { ...reset, expiresMinutes })).toThrow(/whole number/);
  });

  const campaign = {
    subject: 'News for {{firstName}}',
    paragraphs: ['Hello {{firstName}} {{lastName}},', 'Our  spring\nprices are <lower>.'],
    firstName: 'Ann',
    lastName: 'de Vries',
    tenantName: 'Acme BV',
    purposeName: 'Newsletter',
    withdrawalUrl: 'https://crm.example.test/api/v1/public/acme/unsubscribe?token=tok',
  };

  it('writes a campaign with the person’s names, staff paragraphs kept apart, and the withdrawal footer in English and Dutch', () => {
    const en = renderMail('campaign', 'en', campaign);
    expect(en.subject).toBe('News for Ann');
    expect(en.text).toBe(
      [
        'Hello Ann de Vries,',
        'Our spring prices are <lower>.',
        'You receive this e-mail from Acme BV for “Newsletter”. To stop receiving these e-mails, open this link: one click is enough.',
        'https://crm.example.test/api/v1/public/acme/unsubscribe?token=tok',
      ].join('\n\n') + '\n',
    );
    expect(en.html).toContain('<p>Our spring prices are &lt;lower&gt;.</p>');
    expect(en.html).toContain('<a href="https://crm.example.test/api/v1/public/acme/unsubscribe?token=tok">');
    const nl = renderMail('campaign', 'nl', campaign);
    expect(nl.text).toContain('Je ontvangt deze e-mail van Acme BV voor “Newsletter”. Wil je deze e-mails niet meer ontvangen?');
  });

  it('leaves an unknown name out of a campaign with the space before it, and refuses a link that is not http(s)', () => {
    const mail = renderMail('campaign', 'en', { ...campaign, firstName: null, subject: '{{firstName}}' });
    expect(mail.text.startsWith('Hello de Vries,\n\n')).toBe(true);
    expect(mail.subject).toBe('Acme BV');
    expect(() => renderMail('campaign', 'en', { ...campaign, withdrawalUrl: 'javascript:alert(1)' })).toThrow(MailError);
  });

  it('refuses an empty name, an unknown template and an unknown locale', () => {
    expect(() => renderMail('password_changed', 'en', { name: '  ' })).toThrow(MailError);
    expect(() => renderMail('welcome' as MailTemplateName, 'en', { name: 'Ann' })).toThrow(/no mail template "welcome"/);
    expect(() => renderMail('password_changed', 'de' as 'en', { name: 'Ann' })).toThrow(/no mail locale "de"/);
  });
});
