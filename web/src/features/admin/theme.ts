/** Filled buttons in a darker blue: white on Mantine's blue 6 is 3.5:1, short of WCAG AA (4.5:1); blue 8 reaches 4.9:1. */
export const PRIMARY = 'blue.8';
