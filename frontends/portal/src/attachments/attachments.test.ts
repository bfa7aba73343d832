import { beforeEach, describe, expect, it } from 'vitest';
import type { Attachment } from '@mes-messages/shared';
import { clearAllDrafts } from '../draft';
import { followUpFilesKey, loadChosen, saveChosen, wizardFilesKey } from './attachments';

beforeEach(() => localStorage.clear());

const file = { id: 'f-1', name: 'attestation.pdf', size: 2048, scan_status: 'pending' } as Attachment;

describe('the files chosen for a message', () => {
  it('are kept per member for a new message and per thread for a follow-up', () => {
    saveChosen(wizardFilesKey('member-a'), [file]);
    saveChosen(followUpFilesKey('member-a', 'thread-1'), [{ ...file, id: 'f-2' }]);
    expect(loadChosen(wizardFilesKey('member-a')).map((kept) => kept.id)).toEqual(['f-1']);
    expect(loadChosen(followUpFilesKey('member-a', 'thread-1')).map((kept) => kept.id)).toEqual(['f-2']);
    expect(loadChosen(followUpFilesKey('member-a', 'thread-2'))).toEqual([]);
    expect(loadChosen(wizardFilesKey('member-b'))).toEqual([]);
  });

  it('are forgotten with the drafts when the session ends', () => {
    saveChosen(wizardFilesKey('member-a'), [file]);
    saveChosen(followUpFilesKey('member-a', 'thread-1'), [file]);
    clearAllDrafts();
    expect(loadChosen(wizardFilesKey('member-a'))).toEqual([]);
    expect(loadChosen(followUpFilesKey('member-a', 'thread-1'))).toEqual([]);
  });

  it('leave the store when none is left, and an unreadable entry counts as none', () => {
    saveChosen(wizardFilesKey('member-a'), [file]);
    saveChosen(wizardFilesKey('member-a'), []);
    expect(localStorage.getItem(wizardFilesKey('member-a'))).toBeNull();
    localStorage.setItem(wizardFilesKey('member-a'), '{not json');
    expect(loadChosen(wizardFilesKey('member-a'))).toEqual([]);
  });
});
