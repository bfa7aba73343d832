import { useEffect, useRef, useState } from 'react';
import { crossedThreshold, countCharacters, remainingLabel } from './text';

/**
 * "N caractères restants." under a text area, and the same sentence for screen readers in a
 * polite live region, spoken after a pause in typing (not at every key) and at once when a
 * threshold (100, 50, 20, 10, 0, over the limit) is crossed.
 */
export function CharacterCounter({ id, text, max, pause = 1200 }: { id: string; text: string; max: number; pause?: number }) {
  const remaining = max - countCharacters(text);
  const label = remainingLabel(remaining);
  const [announced, setAnnounced] = useState(label);
  const previous = useRef(remaining);
  useEffect(() => {
    const before = previous.current;
    previous.current = remaining;
    if (crossedThreshold(before, remaining)) {
      setAnnounced(label);
      return undefined;
    }
    const timer = window.setTimeout(() => setAnnounced(label), pause);
    return () => window.clearTimeout(timer);
  }, [remaining, label, pause]);
  return (
    <>
      <p className={`fr-message mm-counter${remaining < 0 ? ' mm-counter--over' : ''}`} id={id} aria-hidden="true">
        {label}
      </p>
      <p className="fr-sr-only" aria-live="polite" aria-atomic="true" data-testid="compteur-annonce">
        {announced}
      </p>
    </>
  );
}
