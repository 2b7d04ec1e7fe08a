import { TextInput } from '@mantine/core';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * The global search box for the header: Enter opens /search with the words typed
 * (an e-mail address, a phone number or name words, across contacts, leads,
 * organizations and deals).
 */
export function SearchBox({ initial = '', autoFocus = false }: { initial?: string; autoFocus?: boolean }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [value, setValue] = useState(initial);
  return (
    <form
      role="search"
      aria-label={t('search.label')}
      onSubmit={(event) => {
        event.preventDefault();
        const q = value.trim();
        if (q) void navigate({ to: '/search', search: { q } });
      }}
    >
      <TextInput
        type="search"
        aria-label={t('search.label')}
        placeholder={t('search.placeholder')}
        value={value}
        onChange={(event) => setValue(event.currentTarget.value)}
        autoFocus={autoFocus}
        size="sm"
        w={{ base: 160, sm: 260 }}
      />
    </form>
  );
}
