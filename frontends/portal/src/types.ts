/** What the portal reads from the APIs (see each service's routes and schemas). */

export interface Member {
  id: string;
  given_name: string;
  family_name: string;
  fund: string;
  email?: string | null;
  nir?: string | null;
  franceconnect_linked?: boolean;
  nir_masked?: string;
  [other: string]: unknown;
}

export interface Fund {
  code: string;
  name: string;
  site: string;
}

export interface OnlineService {
  title: string;
  description?: string | null;
  url: string;
  call_to_action?: string | null;
}

export interface CatalogMotif {
  code: string;
  label: string;
  online_service?: OnlineService | null;
  response_time_days?: number;
}

export interface CatalogSubject {
  code: string;
  label: string;
  online_service?: OnlineService | null;
  motifs: CatalogMotif[];
}

export interface CatalogTheme {
  code: string;
  label: string;
  online_service?: OnlineService | null;
  subjects: CatalogSubject[];
}

export interface CatalogTree {
  version: number;
  themes: CatalogTheme[];
}

export interface Advisory {
  code: string;
  message: string;
}

export interface Prepared {
  recap?: Record<string, unknown>;
  online_service?: OnlineService | null;
  advisories?: Advisory[];
  characters?: number;
}

export type ThreadStatus = 'submitted' | 'in_progress' | 'answered' | 'closed';

export interface ThreadSummary {
  id: string;
  reference: string;
  theme_label?: string;
  subject_label?: string;
  motif_label?: string;
  status: ThreadStatus;
  status_label?: string;
  created_at?: string;
  last_activity_at?: string;
  updated_at?: string;
  unread_replies?: number;
  due_date?: string | null;
  [other: string]: unknown;
}

export interface ThreadsPage {
  data: ThreadSummary[];
  next_cursor?: string | null;
}

export interface ThreadEntry {
  id: string;
  kind: 'message' | 'reply';
  text: string;
  created_at: string;
  author_name?: string | null;
  read_at?: string | null;
  follow_up?: boolean;
}

export interface ThreadDetail extends ThreadSummary {
  entries: ThreadEntry[];
  last_consulted_by_fund_at?: string | null;
}

export interface SentThread {
  thread_id: string;
  reference: string;
  status?: ThreadStatus;
  status_label?: string;
  due_date?: string | null;
}

export const STATUS_LABELS: Record<ThreadStatus, string> = {
  submitted: 'envoyé',
  in_progress: 'en cours de traitement',
  answered: 'répondu',
  closed: 'clos',
};

/** What the member receives by email (the notifier's preferences). */
export interface EmailPreferences {
  thread_emails: boolean;
}
