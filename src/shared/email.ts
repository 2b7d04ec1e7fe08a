// One rule for every e-mail address Custodia accepts, a user's or a contact's.
// Deliberately simple: something before the @ (at most 64 characters, as SMTP
// allows), a dot in the domain and at least two characters after the last one,
// at most 254 in all. Deliverability is proven by mail, not by a regular expression.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}
