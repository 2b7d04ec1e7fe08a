import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  CopyButton,
  Group,
  Modal,
  NumberInput,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, data } from '../../api/client';
import { appRoute } from '../../app/app-route';
import { useFormat } from '../../i18n/format';
import { errorMessage } from './errors';

type Scope = 'read' | 'write' | 'admin';
const tokensQuery = { queryKey: ['me', 'tokens'], queryFn: () => data(api.GET('/api/v1/me/tokens')) };

/** Personal API tokens: create with scopes (the token is shown once), list, revoke. */
export function TokensSection() {
  const { t } = useTranslation();
  const format = useFormat();
  const { session } = appRoute.useRouteContext();
  const queryClient = useQueryClient();
  const tokens = useQuery(tokensQuery);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Only administrators may hold the admin scope.
  const scopes: Scope[] = session.user.isAdmin ? ['read', 'write', 'admin'] : ['read', 'write'];

  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { name: '', scopes: ['read'] as string[], expiresInDays: 90 as number | string },
    validate: {
      name: (value) => (value.trim() ? null : t('account.required')),
      scopes: (value) => (value.length > 0 ? null : t('account.scopesRequired')),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setError(null);
    try {
      const days = Number(values.expiresInDays);
      const answer = await data(
        api.POST('/api/v1/me/tokens', {
          body: { name: values.name.trim(), scopes: values.scopes as Scope[], ...(days > 0 ? { expiresInDays: days } : {}) },
        }),
      );
      setCreated({ name: answer.name, token: answer.token });
      form.reset();
      await queryClient.invalidateQueries({ queryKey: tokensQuery.queryKey });
    } catch (caught) {
      if (caught instanceof ApiError && caught.errors?.length) form.setErrors(caught.fieldErrors());
      else setError(errorMessage(caught, t));
    }
  });

  const revoke = useMutation({
    mutationFn: (id: string) => api.DELETE('/api/v1/me/tokens/{id}', { params: { path: { id } } }),
    onSuccess: async () => {
      setRevoking(null);
      await queryClient.invalidateQueries({ queryKey: tokensQuery.queryKey });
    },
  });

  const items = tokens.data?.items ?? [];
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="account-tokens">
      <Stack>
        <Title order={2} size="h3" id="account-tokens">
          {t('account.tokensTitle')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('account.tokensIntro')}
        </Text>
        {created && (
          <Alert color="green" withCloseButton onClose={() => setCreated(null)} closeButtonLabel={t('account.close')}>
            <Stack gap="xs">
              <Text fw={700}>{t('account.tokenCreated', { name: created.name })}</Text>
              <Text size="sm">{t('account.tokenOnce')}</Text>
              <Group gap="xs" wrap="nowrap">
                <Code style={{ wordBreak: 'break-all' }} data-testid="new-token">
                  {created.token}
                </Code>
                <CopyButton value={created.token}>
                  {({ copied, copy }) => (
                    <Button size="xs" variant="default" onClick={copy}>
                      {copied ? t('account.copied') : t('account.copyToken')}
                    </Button>
                  )}
                </CopyButton>
              </Group>
            </Stack>
          </Alert>
        )}
        <form onSubmit={submit} noValidate>
          <Stack maw={420}>
            <Title order={3} size="h4">
              {t('account.newToken')}
            </Title>
            {error && (
              <Text c="red" role="alert">
                {error}
              </Text>
            )}
            <TextInput label={t('account.tokenName')} required key={form.key('name')} {...form.getInputProps('name')} />
            <Checkbox.Group label={t('account.tokenScopes')} required key={form.key('scopes')} {...form.getInputProps('scopes')}>
              <Group mt="xs">
                {scopes.map((scope) => (
                  <Checkbox key={scope} value={scope} label={t(`account.scope.${scope}`)} />
                ))}
              </Group>
            </Checkbox.Group>
            <NumberInput
              label={t('account.tokenExpires')}
              min={1}
              max={365}
              allowDecimal={false}
              key={form.key('expiresInDays')}
              {...form.getInputProps('expiresInDays')}
            />
            <Group>
              <Button type="submit" loading={form.submitting}>
                {t('account.createToken')}
              </Button>
            </Group>
          </Stack>
        </form>
        {revoke.error && (
          <Text c="red" role="alert">
            {errorMessage(revoke.error, t)}
          </Text>
        )}
        {items.length === 0 ? (
          <Text size="sm">{t('account.noTokens')}</Text>
        ) : (
          <Table.ScrollContainer minWidth={560}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('account.tokenName')}</Table.Th>
                  <Table.Th>{t('account.tokenScopes')}</Table.Th>
                  <Table.Th>{t('account.tokenCreatedAt')}</Table.Th>
                  <Table.Th>{t('account.tokenExpiresAt')}</Table.Th>
                  <Table.Th>{t('account.tokenLastUsed')}</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>{t('account.actions')}</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((token) => (
                  <Table.Tr key={token.id} data-testid="token-row">
                    <Table.Td>{token.name}</Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {token.scopes.map((scope) => (
                          <Badge key={scope} size="sm" variant="light">
                            {t(`account.scope.${scope}`)}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>{format.date(token.createdAt)}</Table.Td>
                    <Table.Td>{format.date(token.expiresAt)}</Table.Td>
                    <Table.Td>{token.lastUsedAt ? format.dateTime(token.lastUsedAt) : t('account.never')}</Table.Td>
                    <Table.Td>
                      <Button
                        size="xs"
                        color="red"
                        variant="outline"
                        onClick={() => setRevoking({ id: token.id, name: token.name })}
                        aria-label={t('account.revokeToken', { name: token.name })}
                      >
                        {t('account.revoke')}
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
      <Modal
        opened={revoking !== null}
        onClose={() => setRevoking(null)}
        title={t('account.revokeTitle')}
        closeButtonProps={{ 'aria-label': t('account.close') }}
      >
        <Stack>
          <Text>{t('account.revokeConfirm', { name: revoking?.name ?? '' })}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>
              {t('account.cancel')}
            </Button>
            <Button color="red" loading={revoke.isPending} onClick={() => revoking && revoke.mutate(revoking.id)}>
              {t('account.revoke')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}
