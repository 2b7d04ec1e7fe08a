import { Alert, Button, Code, Group, Select, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { Loading, LoadError } from '../../app/RouteStates';
import { notify } from '../../components/notify';
import { problemDetail } from '../../components/problems';
import { useFormat } from '../../i18n/format';
import { noticesQuery, privacyKeys, type Purpose } from './queries';

/** A purpose's notices: every version per language with its SHA-256 and text, and a form to publish the next one. */
export function NoticesSection({ purpose, canEdit }: { purpose: Purpose; canEdit: boolean }) {
  const { t, i18n } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const notices = useQuery(noticesQuery(purpose.id));
  const [message, setMessage] = useState<string | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { language: (i18n.language === 'nl' ? 'nl' : 'en') as 'en' | 'nl', text: '' },
    validate: { text: (value) => (value.trim() ? null : t('privacy.form.required')) },
  });

  const publish = form.onSubmit(async (values) => {
    setMessage(null);
    try {
      const published = await data(
        api.POST('/api/v1/privacy/purposes/{id}/notices', { params: { path: { id: purpose.id } }, body: values }),
      );
      form.reset();
      await queryClient.invalidateQueries({ queryKey: privacyKeys.purpose(purpose.id) });
      await queryClient.invalidateQueries({ queryKey: privacyKeys.purposes });
      notify(t('privacy.notices.published', { version: published.version, language: t(`languages.${published.language}`) }));
    } catch (caught) {
      setMessage(t('app.error', { detail: problemDetail(caught) }));
    }
  });

  return (
    <Stack component="section" aria-labelledby="notices-heading">
      <Title order={2} id="notices-heading" size="h3">
        {t('privacy.notices.title')}
      </Title>
      <Text size="sm">{t('privacy.notices.intro')}</Text>
      {notices.isPending ? (
        <Loading />
      ) : notices.isError ? (
        <LoadError error={notices.error} />
      ) : notices.data.length === 0 ? (
        <Text>{t('privacy.notices.none')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table>
            <Table.Caption>{t('privacy.notices.caption')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('privacy.notices.language')}</Table.Th>
                <Table.Th scope="col">{t('privacy.notices.version')}</Table.Th>
                <Table.Th scope="col">{t('privacy.notices.publishedAt')}</Table.Th>
                <Table.Th scope="col">{t('privacy.notices.textAndHash')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {notices.data.map((notice) => (
                <Table.Tr key={notice.id}>
                  <Table.Td>{t(`languages.${notice.language}`)}</Table.Td>
                  <Table.Td>{notice.version}</Table.Td>
                  <Table.Td>{format.dateTime(notice.createdAt)}</Table.Td>
                  <Table.Td>
                    <Text size="xs">
                      SHA-256 <Code style={{ wordBreak: 'break-all' }}>{notice.sha256}</Code>
                    </Text>
                    <details>
                      <summary>{t('privacy.notices.showText')}</summary>
                      <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                        {notice.text}
                      </Text>
                    </details>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {canEdit && purpose.status === 'active' && (
        <form onSubmit={publish} noValidate aria-labelledby="publish-notice-heading">
          <Stack gap="sm" maw={720}>
            <Title order={3} id="publish-notice-heading" size="h4">
              {t('privacy.notices.publishTitle')}
            </Title>
            <Select
              label={t('privacy.notices.language')}
              allowDeselect={false}
              data={[
                { value: 'en', label: t('languages.en') },
                { value: 'nl', label: t('languages.nl') },
              ]}
              key={form.key('language')}
              {...form.getInputProps('language')}
            />
            <Textarea
              label={t('privacy.notices.text')}
              description={t('privacy.notices.textHint')}
              required
              autosize
              minRows={4}
              maxLength={100000}
              key={form.key('text')}
              {...form.getInputProps('text')}
            />
            {message && (
              <Alert color="red" role="alert">
                {message}
              </Alert>
            )}
            <Group>
              <Button type="submit" loading={form.submitting}>
                {t('privacy.notices.publish')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Stack>
  );
}
