/** The range the Reports screen opens on, and its throughput window: the page prefetches with them, the view asks with them. */
export const DEFAULT_HOURS = 24;
export const THROUGHPUT_MINUTES = 60;
