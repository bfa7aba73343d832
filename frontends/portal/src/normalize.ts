/**
 * The messages service's answers, read defensively into the shapes the pages use (field names
 * differ slightly between list, detail and creation answers).
 */
import type { SentThread, ThreadDetail, ThreadEntry, ThreadStatus, ThreadSummary } from './types';
import { STATUS_LABELS } from './types';

type Json = Record<string, unknown>;

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function label(source: Json, name: 'theme' | 'subject' | 'motif'): string | undefined {
  const direct = text(source[`${name}_label`]);
  if (direct) return direct;
  const nested = source[name];
  if (nested && typeof nested === 'object') return text((nested as Json).label);
  const labels = source.labels;
  if (labels && typeof labels === 'object') return text((labels as Json)[name]);
  return undefined;
}

export function statusLabel(thread: { status: ThreadStatus; status_label?: string }): string {
  return thread.status_label || STATUS_LABELS[thread.status] || thread.status;
}

export function toSummary(raw: Json): ThreadSummary {
  return {
    ...raw,
    id: text(raw.id) ?? text(raw.thread_id) ?? '',
    reference: text(raw.reference) ?? '',
    theme_label: label(raw, 'theme'),
    subject_label: label(raw, 'subject'),
    motif_label: label(raw, 'motif'),
    status: (text(raw.status) ?? 'submitted') as ThreadStatus,
    status_label: text(raw.status_label),
    created_at: text(raw.created_at) ?? text(raw.submitted_at),
    last_activity_at: text(raw.last_activity_at) ?? text(raw.updated_at) ?? text(raw.created_at),
    unread_replies: typeof raw.unread_replies === 'number' ? raw.unread_replies : 0,
    due_date: text(raw.due_date) ?? null,
  };
}

function toEntry(raw: Json, fallbackKind: 'message' | 'reply'): ThreadEntry {
  const kind = text(raw.kind) ?? text(raw.type) ?? text(raw.author_kind) ?? fallbackKind;
  return {
    id: text(raw.id) ?? '',
    kind: kind === 'reply' || kind === 'agent' ? 'reply' : 'message',
    text: text(raw.text) ?? text(raw.body) ?? '',
    created_at: text(raw.created_at) ?? text(raw.posted_at) ?? '',
    author_name: text(raw.author_name) ?? text(raw.agent_name) ?? null,
    read_at: text(raw.read_at) ?? null,
    follow_up: Boolean(raw.follow_up),
  };
}

export function toDetail(raw: Json): ThreadDetail {
  let entries: ThreadEntry[] = [];
  const list = (name: string) => (Array.isArray(raw[name]) ? (raw[name] as Json[]) : []);
  if (list('entries').length) entries = list('entries').map((entry) => toEntry(entry, 'message'));
  else if (list('items').length) entries = list('items').map((entry) => toEntry(entry, 'message'));
  else entries = [...list('messages').map((entry) => toEntry(entry, 'message')), ...list('replies').map((entry) => toEntry(entry, 'reply'))];
  entries.sort((a, b) => a.created_at.localeCompare(b.created_at));
  return {
    ...toSummary(raw),
    entries,
    last_consulted_by_fund_at: text(raw.last_consulted_by_fund_at) ?? null,
  };
}

export function toSent(raw: Json): SentThread {
  return {
    thread_id: text(raw.thread_id) ?? text(raw.id) ?? '',
    reference: text(raw.reference) ?? '',
    status: text(raw.status) as ThreadStatus | undefined,
    status_label: text(raw.status_label),
    due_date: text(raw.due_date) ?? null,
  };
}
