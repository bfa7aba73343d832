/**
 * What the portal reads from the APIs: the services' own schemas, generated from their OpenAPI
 * documents (`make api-types`), under readable names; and what exists only on screen.
 */
import type { AuthApi, CatalogApi, MessagesApi, NotifierApi } from '@mes-messages/shared';

type Auth = AuthApi.components['schemas'];
type Catalog = CatalogApi.components['schemas'];
type Messages = MessagesApi.components['schemas'];
type Notifier = NotifierApi.components['schemas'];

// auth
export type Member = Auth['MemberPublic'];
export type Fund = Auth['FundPublic'];
export type Funds = Auth['FundsPublic'];
export type SessionEnded = Auth['SessionEnded'];

// catalog
export type CatalogTree = Catalog['TreePublic'];
export type CatalogTheme = Catalog['ThemePublic'];
export type CatalogSubject = Catalog['SubjectPublic'];
export type CatalogMotif = Catalog['MotifPublic'];
export type OnlineService = Catalog['OnlineServicePublic'];

// messages
export type Prepared = Messages['MessagePrepared'];
export type Advisory = Messages['AdvisoryPublic'];
export type ThreadCreated = Messages['ThreadCreated'];
export type ThreadStatus = Messages['Status'];
export type ThreadPublic = Messages['ThreadPublic'];
export type ThreadsPublic = Messages['ThreadsPublic'];
export type ThreadDetail = Messages['ThreadDetail'];
export type ThreadMessage = Messages['MessagePublic'];
export type Satisfaction = Messages['SatisfactionPublic'];
export type ReceiptVerify = Messages['ReceiptVerify'];
export type ReceiptVerification = Messages['ReceiptVerification'];

// notifier
/** What the member receives by email. */
export type EmailPreferences = Notifier['PreferencesPublic'];

/** The statuses offered by the list's filter, as the messages service words them. */
export const STATUS_LABELS: Record<ThreadStatus, ThreadPublic['status_label']> = {
  submitted: 'envoyé',
  in_progress: 'en cours de traitement',
  answered: 'répondu',
  awaiting_member: 'en attente de votre réponse',
  closed: 'clos',
};
