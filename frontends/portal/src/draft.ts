/**
 * The message being written, kept in the browser (localStorage) until it is sent, so that a
 * reload, a closed tab or a failed send loses nothing. It carries the Idempotency-Key of its
 * send: retrying or double-clicking sends the same request with the same key, which the
 * messages service answers once. A change of content after a failed send takes a new key (the
 * service would refuse the old key with other content).
 *
 * Drafts are per member and removed at logout (the text may be personal).
 */
import { newUuid } from '@mes-messages/shared';

export type WizardStep = 1 | 2 | 3 | 5 | 6;

export interface Draft {
  theme: string | null;
  subject: string | null;
  motif: string | null;
  text: string;
  step: WizardStep;
  /** Idempotency-Key of the send, and the content it was made for. */
  sendKey: string | null;
  sendFingerprint: string | null;
  updatedAt: string;
}

const PREFIX = 'mm.brouillon.';

export function emptyDraft(): Draft {
  return { theme: null, subject: null, motif: null, text: '', step: 1, sendKey: null, sendFingerprint: null, updatedAt: new Date().toISOString() };
}

function key(memberId: string): string {
  return `${PREFIX}${memberId}`;
}

export function loadDraft(memberId: string, storage: Storage = localStorage): Draft | null {
  try {
    const raw = storage.getItem(key(memberId));
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Draft>;
    return { ...emptyDraft(), ...parsed };
  } catch {
    return null;
  }
}

export function saveDraft(memberId: string, draft: Draft, storage: Storage = localStorage): void {
  try {
    storage.setItem(key(memberId), JSON.stringify({ ...draft, updatedAt: new Date().toISOString() }));
  } catch {
    // Storage full or refused (private browsing): the draft lives in memory only.
  }
}

export function clearDraft(memberId: string, storage: Storage = localStorage): void {
  storage.removeItem(key(memberId));
}

/** Every draft and follow-up kept in this browser: at logout. */
export function clearAllDrafts(storage: Storage = localStorage): void {
  const keys: string[] = [];
  for (let index = 0; index < storage.length; index += 1) {
    const name = storage.key(index);
    if (name && (name.startsWith(PREFIX) || name.startsWith(FOLLOW_UP_PREFIX))) keys.push(name);
  }
  for (const name of keys) storage.removeItem(name);
}

export function fingerprint(draft: Pick<Draft, 'theme' | 'subject' | 'motif' | 'text'>): string {
  return JSON.stringify([draft.theme, draft.subject, draft.motif, draft.text.trim().normalize('NFC')]);
}

/** The draft with the Idempotency-Key to send it with (the same one as long as the content is). */
export function withSendKey(draft: Draft): Draft {
  const current = fingerprint(draft);
  if (draft.sendKey && draft.sendFingerprint === current) return draft;
  return { ...draft, sendKey: newUuid(), sendFingerprint: current };
}

/* Follow-up messages in a thread: the same idea, per thread. */

const FOLLOW_UP_PREFIX = 'mm.relance.';

export interface FollowUpDraft {
  text: string;
  sendKey: string | null;
  sendFingerprint: string | null;
}

export function loadFollowUp(memberId: string, threadId: string, storage: Storage = localStorage): FollowUpDraft {
  try {
    const raw = storage.getItem(`${FOLLOW_UP_PREFIX}${memberId}.${threadId}`);
    if (raw) return { text: '', sendKey: null, sendFingerprint: null, ...(JSON.parse(raw) as Partial<FollowUpDraft>) };
  } catch {
    // unreadable: start afresh
  }
  return { text: '', sendKey: null, sendFingerprint: null };
}

export function saveFollowUp(memberId: string, threadId: string, draft: FollowUpDraft, storage: Storage = localStorage): void {
  try {
    storage.setItem(`${FOLLOW_UP_PREFIX}${memberId}.${threadId}`, JSON.stringify(draft));
  } catch {
    // memory only
  }
}

export function clearFollowUp(memberId: string, threadId: string, storage: Storage = localStorage): void {
  storage.removeItem(`${FOLLOW_UP_PREFIX}${memberId}.${threadId}`);
}

export function followUpWithSendKey(draft: FollowUpDraft): FollowUpDraft {
  const current = draft.text.trim().normalize('NFC');
  if (draft.sendKey && draft.sendFingerprint === current) return draft;
  return { ...draft, sendKey: newUuid(), sendFingerprint: current };
}
