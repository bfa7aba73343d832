/** What the back office reads from the APIs (services' schemas.py). */

export interface Agent {
  kind: 'agent';
  id: string;
  email: string;
  given_name: string;
  family_name: string;
  role: 'agent' | 'supervisor' | 'admin';
  fund: string;
  skills: string[];
  active: boolean;
}

export interface Node {
  code: string;
  label: string;
}

export interface Person {
  id: string;
  name: string | null;
}

export type Status = 'submitted' | 'in_progress' | 'answered' | 'closed';

export interface AgentThread {
  id: string;
  reference: string;
  theme: Node;
  subject: Node;
  motif: Node;
  status: Status;
  status_label: string;
  created_at: string;
  last_activity_at: string;
  due_date: string;
  fund: string;
  member: { id: string; given_name: string; family_name: string };
  /** The motif's skill when the thread was sent; null when it is not known (older threads). */
  skill: string | null;
  assignee: Person | null;
  assigned_at: string | null;
  closed_at: string | null;
  last_consulted_by_fund_at: string | null;
}

export interface AgentMessage {
  id: string;
  kind: 'message' | 'reply';
  text: string;
  created_at: string;
  follow_up: boolean;
  read_at: string | null;
  author: Person;
  canned_reply_id: string | null;
}

export interface Note {
  id: string;
  text: string;
  author: Person;
  created_at: string;
}

export interface AgentThreadDetail extends AgentThread {
  messages: AgentMessage[];
  notes: Note[];
}

export interface QueueCounts {
  submitted: number;
  in_progress: number;
  answered: number;
  closed: number;
  open: number;
  all: number;
  mine: number;
  unassigned: number;
  overdue: number;
  /** Open threads of the agent's skills or assigned to them (`skill=mine`). */
  my_skills: number;
  /** Open threads whose skill is not known. */
  without_skill: number;
}

export interface QueuePage {
  data: AgentThread[];
  next_cursor: string | null;
  /** Why the list may be empty: `skill=mine` for an agent without skills. */
  hint?: string | null;
}

export interface CannedReply {
  id: string;
  title: string;
  body: string;
  updated_at: string;
  updated_by: string | null;
}

export interface Delivery {
  id: string;
  kind: string;
  status: string;
  recipient: string | null;
  created_at: string;
  sent_at: string | null;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  message_id: string;
}

export interface Access {
  thread_id: string;
  reference: string;
  agent: Person;
  accessed_at: string;
}

export const STATUS_LABELS: Record<Status, string> = {
  submitted: 'envoyé',
  in_progress: 'en cours de traitement',
  answered: 'répondu',
  closed: 'clos',
};

export const DELIVERY_KINDS: Record<string, string> = {
  message_received: 'Confirmation de réception',
  follow_up_received: 'Confirmation de complément',
  reply_available: 'Réponse disponible',
  activation_code: 'Code d’activation',
  password_reset: 'Réinitialisation du mot de passe',
  account_locked: 'Compte verrouillé',
  email_change_code: 'Changement d’adresse',
};

export const DELIVERY_STATUSES: Record<string, string> = {
  waiting_contact: 'en attente de l’adresse',
  pending: 'à envoyer',
  sending: 'en cours d’envoi',
  sent: 'envoyé',
  dead: 'abandonné',
  skipped_opted_out: 'non envoyé (désabonné)',
};
