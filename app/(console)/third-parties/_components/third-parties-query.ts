/** The window the error rates are observed over: the page prefetches with it, the table asks with it. */
export const OBSERVED_WINDOW_MINUTES = 1;
