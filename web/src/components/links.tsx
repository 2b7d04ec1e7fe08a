import { Anchor, Button, type AnchorProps, type ButtonProps } from '@mantine/core';
import { createLink } from '@tanstack/react-router';
import type { AnchorHTMLAttributes, Ref } from 'react';

// Mantine's `component={Link}` loses the router's typed params; createLink keeps them.
type AnchorElementProps = AnchorProps & AnchorHTMLAttributes<HTMLAnchorElement> & { ref?: Ref<HTMLAnchorElement> };

/** A Mantine Anchor that is a router link: `<AnchorLink to="/contacts/$contactId" params={{ contactId }}>`. */
export const AnchorLink = createLink((props: AnchorElementProps) => <Anchor {...props} />);

/** A Mantine Button that is a router link. */
export const ButtonLink = createLink((props: ButtonProps & AnchorHTMLAttributes<HTMLAnchorElement> & { ref?: Ref<HTMLAnchorElement> }) => (
  <Button component="a" {...props} />
));
