/** The NIR as the login form takes it: 13 characters, spaces and dots allowed between them. */
export function cleanNir(value: string): string {
  return value.replace(/[\s.]/g, '').toUpperCase();
}

export function nirLoginError(value: string): string | null {
  const nir = cleanNir(value);
  if (!nir) return 'Saisissez votre numéro de sécurité sociale (13 caractères).';
  if (nir.length === 15) return 'Saisissez les 13 premiers caractères, sans la clé (les 2 derniers chiffres).';
  if (!/^[12378]\d{4}(\d{2}|2A|2B)\d{6}$/.test(nir) || nir.length !== 13) {
    return 'Le numéro de sécurité sociale comporte 13 caractères (chiffres, ou 2A/2B pour la Corse) : vérifiez votre saisie.';
  }
  return null;
}
