export * from './api';
export * from './cookies';
export * from './dsfr';
export * from './format';
export * from './ids';
export * from './router';
export * from './text';
export * from './counter';
