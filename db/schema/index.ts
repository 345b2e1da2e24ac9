export * from './auth';
export * from './ops';
export * from './pipeline';
export * from './alerts';
export * from './orders';
export * from './integrations';
export * from './reconciliation';
export * from './sales';
