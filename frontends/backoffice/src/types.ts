/**
 * What the back office reads from the APIs: the services' own schemas, generated from their
 * OpenAPI documents (`make api-types`), under readable names; and the labels shown on screen.
 */
import type { AuthApi, CatalogApi, MessagesApi, NotifierApi } from '@mes-messages/shared';

type Auth = AuthApi.components['schemas'];
type Catalog = CatalogApi.components['schemas'];
type Messages = MessagesApi.components['schemas'];
type Notifier = NotifierApi.components['schemas'];

// auth
export type Agent = Auth['AgentPublic'];
export type Agents = Auth['AgentsPublic'];
export type PasswordResetSent = Auth['PasswordResetSent'];
export type SecurityEvent = Auth['SecurityEventPublic'];
export type SecurityEvents = Auth['SecurityEventsPublic'];

/** The security trail's kinds of entries, in French. */
export const SECURITY_EVENT_KINDS: Record<SecurityEvent['kind'], string> = {
  login_succeeded: 'Connexion',
  login_failed: 'Échec de connexion',
  login_locked: 'Compte bloqué (trop d’échecs)',
  address_locked: 'Adresse bloquée (trop d’échecs)',
  login_throttled: 'Essai refusé (trop tôt après des échecs)',
  logged_out: 'Déconnexion',
  confirmation_failed: 'Mot de passe actuel erroné',
  password_reset_requested: 'Lien de réinitialisation demandé',
  password_reset_completed: 'Mot de passe réinitialisé',
  password_changed: 'Mot de passe changé',
  email_change_requested: 'Changement d’adresse demandé',
  email_changed: 'Adresse électronique changée',
  franceconnect_linked: 'Compte relié à FranceConnect',
  franceconnect_unlinked: 'Compte délié de FranceConnect',
  account_deleted: 'Compte supprimé',
  agent_created: 'Conseiller créé',
  agent_role_changed: 'Rôle changé',
  agent_deactivated: 'Conseiller désactivé',
  agent_reactivated: 'Conseiller réactivé',
  agent_password_reset_requested: 'Lien de mot de passe envoyé au conseiller',
};
/** What `GET /api/auth/me` answers: the back office keeps agents only. */
export type Profile = Auth['MemberPublic'] | Agent;

// catalog
export type CatalogTree = Catalog['TreePublic'];
export type CatalogTheme = Catalog['ThemePublic'];
export type CatalogDraft = Catalog['DraftPublic'];
/** A node of the draft, at any level (a theme has subjects, a subject motifs). */
export type CatalogNode = Catalog['Theme'] | Catalog['Subject'] | Catalog['Motif'];
export type CatalogChange = Catalog['ChangePublic'];
export type CatalogChanges = Catalog['ChangesPublic'];
export type CatalogVersion = Catalog['VersionPublic'];
export type CatalogVersions = Catalog['VersionsPublic'];
/** What the editor sets of a node's online service (the fund addresses are kept). */
export type OnlineServiceChange = Pick<Catalog['OnlineServiceIn'], 'title' | 'description' | 'url'>;

// messages
export type Status = Messages['Status'];
export type AgentThread = Messages['AgentThreadPublic'];
export type AgentThreadDetail = Messages['AgentThreadDetail'];
export type QueueCounts = Messages['QueueCounts'];
export type QueuePage = Messages['AgentThreadsPublic'];
export type RoutingWarning = Messages['WarningPublic'];
export type CannedReply = Messages['CannedReplyPublic'];
export type CannedReplies = Messages['CannedRepliesPublic'];
export type CannedReplyRendered = Messages['CannedReplyRendered'];
export type Access = Messages['AccessPublic'];
export type Accesses = Messages['AccessesPublic'];

// notifier
export type Delivery = Notifier['DeliveryPublic'];
export type Deliveries = Notifier['DeliveriesPublic'];

export const DELIVERY_KINDS: Record<Delivery['kind'], string> = {
  message_received: 'Confirmation de réception',
  follow_up_received: 'Confirmation de complément',
  reply_available: 'Réponse disponible',
  activation_code: 'Code d’activation',
  password_reset: 'Réinitialisation du mot de passe',
  account_locked: 'Compte verrouillé',
  email_change_code: 'Changement d’adresse',
  franceconnect_linked: 'Compte relié à FranceConnect',
  account_changed: 'Changement sensible du compte',
  agent_password_reset: 'Lien de mot de passe d’un conseiller',
  agent_account_changed: 'Mot de passe d’un conseiller changé',
  relance_received: 'Confirmation de relance',
  details_reminder: 'Rappel de demande de précisions',
  thread_closed_unanswered: 'Demande close sans réponse',
};

export const DELIVERY_STATUSES: Record<Delivery['status'], string> = {
  waiting_contact: 'en attente de l’adresse',
  pending: 'à envoyer',
  sending: 'en cours d’envoi',
  sent: 'envoyé',
  dead: 'abandonné',
  skipped_opted_out: 'non envoyé (désabonné)',
};
