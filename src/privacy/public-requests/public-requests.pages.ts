import type { Language, PrivacyRequestType } from '../../db/schema.js';
import { hiddenField, honeypotField, html, postForm, textField, type PublicPage } from '../public/pages.js';
import type { LinkView, OpenedCase } from './public-requests.service.js';

// The pages of the public request form, in English and Dutch: the form, "check
// your inbox", the verification link's page with its Confirm button, the
// receipt page, and every way a link can fail (each says nothing was changed).

type Texts = Record<Language, string>;
const t = (texts: Texts, lang: Language) => texts[lang];

export const paths = {
  requests: (slug: string) => `/api/v1/public/${encodeURIComponent(slug)}/requests`,
  verify: (slug: string) => `/api/v1/public/${encodeURIComponent(slug)}/requests/verify`,
};

export const TYPE_ORDER: readonly PrivacyRequestType[] = ['access', 'portability', 'rectification', 'erasure', 'restriction', 'objection'];

export const TYPE_LABELS: Record<PrivacyRequestType, Texts> = {
  access: { en: 'See the personal data you hold about me (access)', nl: 'Inzage in de persoonsgegevens die jullie van mij hebben' },
  portability: {
    en: 'Get a copy of my data to take elsewhere (portability)',
    nl: 'Een kopie van mijn gegevens om mee te nemen (overdraagbaarheid)',
  },
  rectification: { en: 'Correct my personal data (rectification)', nl: 'Mijn persoonsgegevens corrigeren (rectificatie)' },
  erasure: { en: 'Erase my personal data (erasure)', nl: 'Mijn persoonsgegevens verwijderen (vergetelheid)' },
  restriction: { en: 'Restrict the processing of my data (restriction)', nl: 'De verwerking van mijn gegevens beperken (beperking)' },
  objection: { en: 'Object to the processing of my data (objection)', nl: 'Bezwaar maken tegen de verwerking van mijn gegevens (bezwaar)' },
};

function problemPage(lang: Language, tenantName: string | null, title: Texts, text: Texts, status: number): PublicPage {
  return { lang, tenantName, title: t(title, lang), body: html`<p>${t(text, lang)}</p>`, status };
}

// ------------------------------------------------------------------ the form

export function requestFormPage(lang: Language, form: { tenantName: string; tenantSlug: string } | undefined): PublicPage {
  if (!form)
    return problemPage(
      lang,
      null,
      { en: 'This request form does not exist', nl: 'Dit verzoekformulier bestaat niet' },
      { en: 'The link may be old or incomplete.', nl: 'De link is misschien verouderd of onvolledig.' },
      404,
    );
  const options = TYPE_ORDER.map((type) => html`<option value="${type}">${t(TYPE_LABELS[type], lang)}</option>`);
  const fields = [
    hiddenField('lang', lang),
    textField({
      id: 'email',
      name: 'email',
      type: 'email',
      label: t({ en: 'Your e-mail address', nl: 'Je e-mailadres' }, lang),
      required: true,
      autocomplete: 'email',
      maxLength: 254,
    }),
    html`<label for="type">${t({ en: 'What do you ask for?', nl: 'Wat vraag je?' }, lang)}</label>
      <select id="type" name="type" required>
        ${options}
      </select>`,
    honeypotField('website', t({ en: 'Leave this field empty', nl: 'Laat dit veld leeg' }, lang)),
  ];
  return {
    lang,
    tenantName: form.tenantName,
    title: t({ en: 'A request about your personal data', nl: 'Een verzoek over je persoonsgegevens' }, lang),
    body: html`<p>
        ${t(
          {
            en: `Under the GDPR you may ask ${form.tenantName} what personal data it holds about you, and to correct, erase or restrict it, or object to its use. Leave the e-mail address we know you by: we send it a link, and your request is filed once you confirm there. We answer within one month.`,
            nl: `Volgens de AVG mag je ${form.tenantName} vragen welke persoonsgegevens het over je heeft, en die laten corrigeren, verwijderen of beperken, of bezwaar maken tegen het gebruik. Laat het e-mailadres achter waarmee we je kennen: we sturen er een link naartoe, en je verzoek is ingediend zodra je daar bevestigt. We antwoorden binnen een maand.`,
          },
          lang,
        )}
      </p>
      ${postForm(paths.requests(form.tenantSlug), fields, t({ en: 'Send request', nl: 'Verzoek versturen' }, lang))}`,
  };
}

export function checkInboxPage(lang: Language, confirmDays: number): PublicPage {
  return {
    lang,
    tenantName: null,
    title: t({ en: 'Check your inbox', nl: 'Kijk in je mailbox' }, lang),
    body: html`<p>
      ${t(
        {
          en: `We have sent an e-mail with a confirmation link to the address you gave. Your request is filed only when you open it and press Confirm. The link works for ${confirmDays} ${confirmDays === 1 ? 'day' : 'days'}.`,
          nl: `We hebben een e-mail met een bevestigingslink naar het opgegeven adres gestuurd. Je verzoek is pas ingediend als je die opent en op Bevestigen drukt. De link werkt ${confirmDays} ${confirmDays === 1 ? 'dag' : 'dagen'}.`,
        },
        lang,
      )}
    </p>`,
    status: 202,
  };
}

export function formProblemPage(lang: Language): PublicPage {
  return problemPage(
    lang,
    null,
    { en: 'Please check the form', nl: 'Controleer het formulier' },
    {
      en: 'We could not read an e-mail address and a kind of request in it. Go back and try again.',
      nl: 'We konden er geen e-mailadres en soort verzoek in lezen. Ga terug en probeer het opnieuw.',
    },
    400,
  );
}

// ------------------------------------------------------------------ the link

/** The page of a link that cannot (or no longer) open a case; null for a pending one. */
export function linkEndPage(lang: Language, view: LinkView): PublicPage | null {
  switch (view.state) {
    case 'invalid':
      return problemPage(
        lang,
        view.tenantName,
        { en: 'This link does not work', nl: 'Deze link werkt niet' },
        {
          en: 'The link is incomplete or not one of ours. Nothing was changed. Copy the whole link from the e-mail, or file your request again.',
          nl: 'De link is onvolledig of niet van ons. Er is niets gewijzigd. Kopieer de hele link uit de e-mail, of dien je verzoek opnieuw in.',
        },
        410,
      );
    case 'expired':
      return problemPage(
        lang,
        view.tenantName,
        { en: 'This link has expired', nl: 'Deze link is verlopen' },
        {
          en: 'Nothing was changed. If you still want to make your request, please fill in the form again.',
          nl: 'Er is niets gewijzigd. Wil je je verzoek nog indienen? Vul het formulier dan opnieuw in.',
        },
        410,
      );
    case 'used':
      return {
        lang,
        tenantName: view.tenantName,
        title: t({ en: 'Already confirmed', nl: 'Al bevestigd' }, lang),
        body: html`<p>
          ${t(
            {
              en: 'This request was confirmed before and is being handled; you received a receipt by e-mail. Nothing was changed.',
              nl: 'Dit verzoek is al eerder bevestigd en wordt behandeld; je hebt een ontvangstbevestiging per e-mail gekregen. Er is niets gewijzigd.',
            },
            lang,
          )}
        </p>`,
      };
    default:
      return null;
  }
}

export function verifyPage(lang: Language, slug: string, token: string, view: LinkView): PublicPage {
  const ended = linkEndPage(lang, view);
  if (ended) return ended;
  const type = view.type ? t(TYPE_LABELS[view.type], lang) : '';
  return {
    lang,
    tenantName: view.tenantName,
    title: t({ en: 'Confirm your request', nl: 'Bevestig je verzoek' }, lang),
    body: html`<p>${t({ en: 'You asked:', nl: 'Je vroeg:' }, lang)}</p>
      <p class="notice">${type}</p>
      <p>
        ${t(
          {
            en: 'Press Confirm to file the request. We then send you a receipt with the date by which we answer.',
            nl: 'Druk op Bevestigen om het verzoek in te dienen. We sturen je dan een ontvangstbevestiging met de datum waarop we uiterlijk antwoorden.',
          },
          lang,
        )}
      </p>
      ${postForm(paths.verify(slug), [hiddenField('token', token), hiddenField('lang', lang)], t({ en: 'Confirm', nl: 'Bevestigen' }, lang))}`,
  };
}

export function openedPage(lang: Language, view: LinkView, opened: OpenedCase): PublicPage {
  return {
    lang,
    tenantName: view.tenantName,
    title: t({ en: 'Thank you, your request is filed', nl: 'Bedankt, je verzoek is ingediend' }, lang),
    body: html`<p>
      ${t(
        {
          en: `Your request has reference ${opened.reference}. We answer by ${opened.dueAt} at the latest. A receipt is on its way to your inbox.`,
          nl: `Je verzoek heeft kenmerk ${opened.reference}. We antwoorden uiterlijk op ${opened.dueAt}. Er is een ontvangstbevestiging onderweg naar je mailbox.`,
        },
        lang,
      )}
    </p>`,
  };
}
