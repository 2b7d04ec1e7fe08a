import { notifications } from '@mantine/notifications';
import i18n from '../i18n';
import './i18n';

/** A short message in the corner, whose close button has a name (axe: button-name). */
export function notify(message: string, color: 'green' | 'red' = 'green'): void {
  notifications.show({ message, color, closeButtonProps: { 'aria-label': i18n.t('components.notify.close') } });
}
