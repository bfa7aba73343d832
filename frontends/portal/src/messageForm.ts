/** What every form where a member writes to their MSA says (a new message, a follow-up,
 * « Je n'ai pas compris la réponse »). */

export const MEDICAL_NOTICE = "Attention : nous vous conseillons de ne pas communiquer d'information relative à des données médicales.";
export const PLACEHOLDER = 'Écrivez ici votre message (minimum 10 caractères)...';
