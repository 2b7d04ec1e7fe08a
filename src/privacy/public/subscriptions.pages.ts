import type { Language } from '../../db/schema.js';
import { hiddenField, honeypotField, html, paragraphs, postForm, textField, type PublicPage } from './pages.js';
import type { SignupForm, SignupView, WithdrawalView } from './subscriptions.service.js';

// The pages of double opt-in and withdrawal, in English and Dutch. Every one
// that follows a failed step says that nothing was changed.

type Texts = Record<Language, string>;
const t = (texts: Texts, lang: Language) => texts[lang];

const paths = {
  subscriptions: (slug: string) => `/api/v1/public/${encodeURIComponent(slug)}/subscriptions`,
  confirm: (slug: string) => `/api/v1/public/${encodeURIComponent(slug)}/subscriptions/confirm`,
  unsubscribe: (slug: string) => `/api/v1/public/${encodeURIComponent(slug)}/unsubscribe`,
};

const WHAT_YOU_AGREE_TO: Texts = { en: 'What you agree to', nl: 'Waarmee je instemt' };

function notFound(lang: Language, tenantName: string | null, title: Texts, text: Texts, status = 404): PublicPage {
  return { lang, tenantName, title: t(title, lang), body: html`<p>${t(text, lang)}</p>`, status };
}

// ------------------------------------------------------------------ sign-up form

export function signupFormPage(lang: Language, form: SignupForm | undefined): PublicPage {
  if (!form)
    return notFound(
      lang,
      null,
      { en: 'This sign-up form does not exist', nl: 'Dit aanmeldformulier bestaat niet' },
      { en: 'The link may be old, or the list was closed.', nl: 'De link is misschien verouderd, of de lijst is gesloten.' },
    );
  const fields = [
    hiddenField('purposeId', form.purposeId),
    hiddenField('lang', lang),
    textField({
      id: 'email',
      name: 'email',
      type: 'email',
      label: t({ en: 'E-mail address', nl: 'E-mailadres' }, lang),
      required: true,
      autocomplete: 'email',
      maxLength: 254,
    }),
    textField({
      id: 'firstName',
      name: 'firstName',
      label: t({ en: 'First name (optional)', nl: 'Voornaam (optioneel)' }, lang),
      autocomplete: 'given-name',
      maxLength: 100,
    }),
    honeypotField('website', t({ en: 'Leave this field empty', nl: 'Laat dit veld leeg' }, lang)),
  ];
  return {
    lang,
    tenantName: form.tenantName,
    title: t({ en: `Sign up: ${form.purposeName}`, nl: `Aanmelden: ${form.purposeName}` }, lang),
    body: html`<p>
        ${t(
          {
            en: 'Read what you agree to, then leave your e-mail address. We send you an e-mail with a link; only when you confirm there are you signed up.',
            nl: 'Lees waarmee je instemt en laat je e-mailadres achter. We sturen je een e-mail met een link; pas als je daar bevestigt, ben je aangemeld.',
          },
          lang,
        )}
      </p>
      <h2>${t(WHAT_YOU_AGREE_TO, lang)}</h2>
      ${paragraphs(form.notice, 'notice')}
      ${postForm(paths.subscriptions(form.tenantSlug), fields, t({ en: 'Sign up', nl: 'Aanmelden' }, lang))}`,
  };
}

export function checkInboxPage(lang: Language, tenantName: string | null, confirmDays: number): PublicPage {
  return {
    lang,
    tenantName,
    title: t({ en: 'Check your inbox', nl: 'Kijk in je mailbox' }, lang),
    body: html`<p>
      ${t(
        {
          en: `If the address can be signed up, we have sent it an e-mail with a confirmation link. Nothing happens until you open it and press Confirm. The link works for ${confirmDays} ${confirmDays === 1 ? 'day' : 'days'}.`,
          nl: `Als het adres kan worden aangemeld, hebben we er een e-mail met een bevestigingslink naartoe gestuurd. Er gebeurt niets totdat je die opent en op Bevestigen drukt. De link werkt ${confirmDays} ${confirmDays === 1 ? 'dag' : 'dagen'}.`,
        },
        lang,
      )}
    </p>`,
    status: 202,
  };
}

export function formProblemPage(lang: Language): PublicPage {
  return notFound(
    lang,
    null,
    { en: 'Please check the form', nl: 'Controleer het formulier' },
    {
      en: 'We could not read an e-mail address in it. Go back and try again.',
      nl: 'We konden er geen e-mailadres in lezen. Ga terug en probeer het opnieuw.',
    },
    400,
  );
}

// ------------------------------------------------------------------ confirm

const LINK_INVALID = {
  title: { en: 'This link does not work', nl: 'Deze link werkt niet' },
  text: {
    en: 'The link is incomplete or not one of ours. Nothing was changed. Copy the whole link from the e-mail, or sign up again.',
    nl: 'De link is onvolledig of niet van ons. Er is niets gewijzigd. Kopieer de hele link uit de e-mail, of meld je opnieuw aan.',
  },
};

/** The page for a confirmation link that cannot (or no longer) be confirmed; null for a pending or just-confirmed one. */
function signupEndPage(lang: Language, view: SignupView): PublicPage | null {
  switch (view.state) {
    case 'invalid':
      return notFound(lang, view.tenantName, LINK_INVALID.title, LINK_INVALID.text, 410);
    case 'expired':
      return notFound(
        lang,
        view.tenantName,
        { en: 'This link has expired', nl: 'Deze link is verlopen' },
        {
          en: 'Nothing was changed. If you still want to sign up, please fill in the form again.',
          nl: 'Er is niets gewijzigd. Wil je je nog aanmelden? Vul het formulier dan opnieuw in.',
        },
        410,
      );
    case 'unavailable':
      return notFound(
        lang,
        view.tenantName,
        { en: 'This sign-up can no longer be confirmed', nl: 'Deze aanmelding kan niet meer worden bevestigd' },
        { en: 'The list was closed. Nothing was changed.', nl: 'De lijst is gesloten. Er is niets gewijzigd.' },
        410,
      );
    default:
      return null;
  }
}

export function confirmPage(lang: Language, slug: string, token: string, view: SignupView): PublicPage {
  const ended = signupEndPage(lang, view);
  if (ended) return ended;
  if (view.state === 'confirmed') return alreadyConfirmedPage(lang, view);
  const purpose = view.purposeName ?? '';
  return {
    lang,
    tenantName: view.tenantName,
    title: t({ en: 'Confirm your sign-up', nl: 'Bevestig je aanmelding' }, lang),
    body: html`<p>
        ${t(
          {
            en: `You are about to agree that ${view.tenantName ?? ''} may use your e-mail address for "${purpose}".`,
            nl: `Je staat op het punt in te stemmen dat ${view.tenantName ?? ''} je e-mailadres mag gebruiken voor "${purpose}".`,
          },
          lang,
        )}
      </p>
      <h2>${t(WHAT_YOU_AGREE_TO, lang)}</h2>
      ${paragraphs(view.notice ?? '', 'notice')}
      <p>
        ${t(
          {
            en: 'You can withdraw at any time, with one click from any e-mail we send you.',
            nl: 'Je kunt dit altijd intrekken, met één klik vanuit elke e-mail die we je sturen.',
          },
          lang,
        )}
      </p>
      ${postForm(paths.confirm(slug), [hiddenField('token', token), hiddenField('lang', lang)], t({ en: 'Confirm', nl: 'Bevestigen' }, lang))}`,
  };
}

function alreadyConfirmedPage(lang: Language, view: SignupView): PublicPage {
  return {
    lang,
    tenantName: view.tenantName,
    title: t({ en: 'Already confirmed', nl: 'Al bevestigd' }, lang),
    body: html`<p>
      ${t(
        {
          en: 'This sign-up was confirmed before, so there is nothing more to do. Nothing was changed.',
          nl: 'Deze aanmelding is al eerder bevestigd, dus je hoeft niets meer te doen. Er is niets gewijzigd.',
        },
        lang,
      )}
    </p>`,
  };
}

/** After the confirming POST: thanks, or why nothing happened. */
export function confirmedPage(lang: Language, view: SignupView, justConfirmed: boolean): PublicPage {
  const ended = signupEndPage(lang, view);
  if (ended) return ended;
  if (!justConfirmed) return alreadyConfirmedPage(lang, view);
  const purpose = view.purposeName ?? '';
  return {
    lang,
    tenantName: view.tenantName,
    title: t({ en: 'Thank you, you are signed up', nl: 'Bedankt, je bent aangemeld' }, lang),
    body: html`<p>
      ${t(
        {
          en: `Your consent to "${purpose}" is recorded. You can withdraw it at any time with the link in every e-mail we send you.`,
          nl: `Je toestemming voor "${purpose}" is vastgelegd. Je kunt die altijd intrekken met de link in elke e-mail die we je sturen.`,
        },
        lang,
      )}
    </p>`,
  };
}

// ------------------------------------------------------------------ withdraw

export function unsubscribePage(lang: Language, slug: string, token: string, view: WithdrawalView): PublicPage {
  if (view.state !== 'subscribed') return withdrawnPage(lang, view);
  const purpose = view.purposeName ?? '';
  return {
    lang,
    tenantName: view.tenantName,
    title: t({ en: 'Unsubscribe', nl: 'Afmelden' }, lang),
    body: html`<p>
        ${t(
          {
            en: `Press the button to withdraw your consent to "${purpose}". It takes effect at once.`,
            nl: `Druk op de knop om je toestemming voor "${purpose}" in te trekken. Dat gaat direct in.`,
          },
          lang,
        )}
      </p>
      ${postForm(`${paths.unsubscribe(slug)}?token=${encodeURIComponent(token)}`, [hiddenField('lang', lang)], t({ en: 'Withdraw', nl: 'Intrekken' }, lang))}`,
  };
}

export function withdrawnPage(lang: Language, view: WithdrawalView): PublicPage {
  const purpose = view.purposeName ?? '';
  switch (view.state) {
    case 'invalid':
      return notFound(
        lang,
        view.tenantName,
        LINK_INVALID.title,
        {
          en: 'The link is incomplete or not one of ours. Nothing was changed. Copy the whole link from the e-mail, or contact the sender.',
          nl: 'De link is onvolledig of niet van ons. Er is niets gewijzigd. Kopieer de hele link uit de e-mail, of neem contact op met de afzender.',
        },
        410,
      );
    case 'already_withdrawn':
      return {
        lang,
        tenantName: view.tenantName,
        title: t({ en: 'You are already unsubscribed', nl: 'Je bent al afgemeld' }, lang),
        body: html`<p>
          ${t(
            {
              en: `Your consent to "${purpose}" was already withdrawn. Nothing was changed.`,
              nl: `Je toestemming voor "${purpose}" was al ingetrokken. Er is niets gewijzigd.`,
            },
            lang,
          )}
        </p>`,
      };
    default:
      return {
        lang,
        tenantName: view.tenantName,
        title: t({ en: 'You are unsubscribed', nl: 'Je bent afgemeld' }, lang),
        body: html`<p>
          ${t(
            {
              en: `Your consent to "${purpose}" is withdrawn. You will not receive these e-mails any more.`,
              nl: `Je toestemming voor "${purpose}" is ingetrokken. Je ontvangt deze e-mails niet meer.`,
            },
            lang,
          )}
        </p>`,
      };
  }
}
