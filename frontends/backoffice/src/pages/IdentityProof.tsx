import { useEffect, useState } from 'react';
import { type AuthApi, api } from '@mes-messages/shared';

type MemberIdentity = AuthApi.components['schemas']['MemberIdentityPublic'];

/** How each proof is said to the agent. */
export const PROOF_LABELS: Record<NonNullable<MemberIdentity['identity_proof']>, string> = {
  letter: 'identité vérifiée par courrier',
  'fund-email': 'identité vérifiée par courriel de la caisse',
  franceconnect: 'identité vérifiée par FranceConnect',
};

/** « identité vérifiée par … » for the member of a thread (the auth service says how). */
export function IdentityProof({ memberId }: { memberId: string }) {
  const [identity, setIdentity] = useState<MemberIdentity | null>(null);
  useEffect(() => {
    let current = true;
    api
      .get<MemberIdentity>(`/api/auth/members/${encodeURIComponent(memberId)}/identity`)
      .then((found) => current && setIdentity(found))
      .catch(() => current && setIdentity(null));
    return () => {
      current = false;
    };
  }, [memberId]);
  if (!identity) return null;
  const label = identity.identity_proof ? PROOF_LABELS[identity.identity_proof] : 'identité non vérifiée à l’ouverture du compte';
  return <span className="fr-badge fr-badge--sm fr-badge--info fr-ml-1w">{label}</span>;
}
