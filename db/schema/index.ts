export * from './auth';
export * from './ops';
