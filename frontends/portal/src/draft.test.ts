import { beforeEach, describe, expect, it } from 'vitest';
import { clearAllDrafts, emptyDraft, loadDraft, saveDraft, saveFollowUp, withSendKey } from './draft';

beforeEach(() => localStorage.clear());

describe('the draft store', () => {
  it('keeps the draft across a reload, per member', () => {
    const draft = { ...emptyDraft(), theme: 'famille', subject: 'famille-allocations', motif: 'af-autre', text: 'Bonjour, une question.', step: 6 as const };
    saveDraft('member-a', draft);
    expect(loadDraft('member-a')).toMatchObject({ theme: 'famille', text: 'Bonjour, une question.', step: 6 });
    expect(loadDraft('member-b')).toBeNull();
  });

  it('keeps the same Idempotency-Key while the content is the same, and takes a new one when it changes', () => {
    const first = withSendKey({ ...emptyDraft(), theme: 'famille', subject: 's', motif: 'm', text: 'Bonjour à vous' });
    const retry = withSendKey(first);
    expect(retry.sendKey).toBe(first.sendKey);
    const edited = withSendKey({ ...first, text: 'Bonjour à vous, encore' });
    expect(edited.sendKey).not.toBe(first.sendKey);
  });

  it('forgets every draft at logout', () => {
    saveDraft('member-a', emptyDraft());
    saveFollowUp('member-a', 'thread-1', { text: 'suite', sendKey: null, sendFingerprint: null });
    localStorage.setItem('other', 'kept');
    clearAllDrafts();
    expect(loadDraft('member-a')).toBeNull();
    expect(localStorage.getItem('mm.relance.member-a.thread-1')).toBeNull();
    expect(localStorage.getItem('other')).toBe('kept');
  });
});
