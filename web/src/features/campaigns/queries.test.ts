import { describe, expect, it } from 'vitest';
import { paragraphsOf, previewOf } from './queries';

describe('campaign preview', () => {
  it('fills the placeholders as the server does, a missing name taking its space along', () => {
    expect(previewOf('Hello {{firstName}} {{ lastName }},', { firstName: 'Anna', lastName: 'de Vries' })).toBe('Hello Anna de Vries,');
    expect(previewOf('Hello {{firstName}},', { firstName: '', lastName: 'X' })).toBe('Hello,');
  });

  it('cuts the body into paragraphs at blank lines and joins the lines inside one', () => {
    expect(paragraphsOf('One\nline\n\n\n  Two  \r\n\r\nThree')).toEqual(['One line', 'Two', 'Three']);
  });
});
