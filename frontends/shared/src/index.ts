export * from './api';
export * from './attachments';
export * from './cookies';
export * from './dsfr';
export * from './format';
export * from './ids';
export * from './router';
export * from './text';
export * from './counter';

// The services' API types, generated from their OpenAPI documents (`make api-types`); each app
// gives the schemas it reads readable names in its own types.ts.
export type * as AuthApi from './generated/auth';
export type * as CatalogApi from './generated/catalog';
export type * as MessagesApi from './generated/messages';
export type * as NotifierApi from './generated/notifier';
