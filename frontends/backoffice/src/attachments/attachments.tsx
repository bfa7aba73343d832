/**
 * Attachments in the back office: each message's files (open them, or see that one is still
 * scanned or was quarantined) and the files an agent joins to a reply (same limits as members).
 */
import { type Attachment, AttachmentList, AttachmentPicker, useThreadAttachments } from '@mes-messages/shared';

export type { Attachment };

/** A thread's files, grouped by the message or reply they came with (see useThreadAttachments). */
export function useAgentThreadAttachments(threadId: string, refresh: unknown): Map<string, Attachment[]> {
  return useThreadAttachments(`/api/messages/agent/threads/${threadId}/attachments`, refresh);
}

export function AgentMessageAttachments({ files }: { files: Attachment[] | undefined }) {
  return <AttachmentList files={files ?? []} downloadUrl={(file) => `/api/messages/agent/attachments/${file.id}/content`} />;
}

/** « Ajouter une pièce jointe » under the reply. */
export function ReplyAttachments({ files, onChange, disabled }: { files: Attachment[]; onChange: (files: Attachment[]) => void; disabled?: boolean }) {
  return <AttachmentPicker id="reponse-pieces-jointes" uploadUrl="/api/messages/agent/attachments" files={files} onChange={onChange} disabled={disabled} />;
}
