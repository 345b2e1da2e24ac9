/** The third parties that have a built-in simulator, one row of fault settings each. */
export const SIMULATOR_NAMES = ['payment', 'wms', 'logistics', 'sms'] as const;

export type SimulatorName = (typeof SIMULATOR_NAMES)[number];
