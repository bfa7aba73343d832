/**
 * Attachments in the back office: each message's files (open them, or see that one is still
 * scanned or was quarantined) and the files an agent joins to a reply (same limits as members).
 */
import { useEffect, useState } from 'react';
import { type Attachment, AttachmentList, AttachmentPicker, api } from '@mes-messages/shared';

export type { Attachment };

/** A thread's files, grouped by the message or reply they came with; fetched again on `refresh`. */
export function useAgentThreadAttachments(threadId: string, refresh: unknown): Map<string, Attachment[]> {
  const [byMessage, setByMessage] = useState<Map<string, Attachment[]>>(new Map());
  useEffect(() => {
    api
      .get<{ data: Attachment[] }>(`/api/messages/agent/threads/${threadId}/attachments`)
      .then((answer) => {
        const grouped = new Map<string, Attachment[]>();
        for (const file of answer.data) {
          if (file.message_id) grouped.set(file.message_id, [...(grouped.get(file.message_id) ?? []), file]);
        }
        setByMessage(grouped);
      })
      .catch(() => setByMessage(new Map()));
  }, [threadId, refresh]);
  return byMessage;
}

export function AgentMessageAttachments({ files }: { files: Attachment[] | undefined }) {
  return <AttachmentList files={files ?? []} downloadUrl={(file) => `/api/messages/agent/attachments/${file.id}/content`} />;
}

async function withdraw(file: Attachment): Promise<void> {
  try {
    await api.delete(`/api/messages/agent/attachments/${file.id}`);
  } catch {
    // Already gone: nothing left to withdraw.
  }
}

/** « Ajouter une pièce jointe » under the reply. */
export function ReplyAttachments({ files, onChange, disabled }: { files: Attachment[]; onChange: (files: Attachment[]) => void; disabled?: boolean }) {
  return <AttachmentPicker id="reponse-pieces-jointes" uploadUrl="/api/messages/agent/attachments" files={files} onChange={onChange} onRemove={withdraw} disabled={disabled} />;
}
