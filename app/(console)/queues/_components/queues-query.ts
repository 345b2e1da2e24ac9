export const lagChartKeys = ['chartGroup'] as const;

/** The lag chart's input for the URL's chosen group: the page prefetches with it, the chart asks with it. */
export const lagChartInput = (filters: Record<(typeof lagChartKeys)[number], string>) => ({ group: filters.chartGroup || undefined, minutes: 60 });
