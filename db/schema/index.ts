export * from './auth';
export * from './ops';
export * from './pipeline';
export * from './alerts';
