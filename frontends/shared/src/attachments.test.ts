import { describe, expect, it } from 'vitest';
import { MAX_FILE_BYTES, checkChoice, formatSize } from './attachments';

const MB = 1024 * 1024;

describe('attachments chosen in the browser', () => {
  it('accepts PDF, JPEG, PNG and HEIC files within the limits', () => {
    const chosen = [
      { name: 'bail.pdf', size: MB },
      { name: 'IMG_0001.HEIC', size: 3 * MB },
      { name: 'photo.jpeg', size: 10 },
      { name: 'scan.png', size: 10 },
    ];
    expect(checkChoice([], chosen)).toEqual({ accepted: [0, 1, 2, 3], errors: [] });
  });

  it('refuses a wrong type, an empty file and a file over 10 MB, saying why in French', () => {
    const { accepted, errors } = checkChoice([], [
      { name: 'programme.exe', size: 100 },
      { name: 'vide.pdf', size: 0 },
      { name: 'gros.pdf', size: MAX_FILE_BYTES + 1 },
    ]);
    expect(accepted).toEqual([]);
    expect(errors).toEqual([
      '« programme.exe » n’est pas accepté : joignez un PDF, une image JPEG ou PNG, ou une photo HEIC.',
      '« vide.pdf » est vide : choisissez-en un autre.',
      '« gros.pdf » dépasse 10 Mo (10,0 Mo) : réduisez-le ou envoyez-le en plusieurs parties.',
    ]);
  });

  it('stops at 5 files and at 20 MB for the message', () => {
    const four = [1, 2, 3, 4].map(() => ({ size: MB }));
    const tooMany = checkChoice(four, [{ name: 'a.pdf', size: 1 }, { name: 'b.pdf', size: 1 }]);
    expect(tooMany.accepted).toEqual([0]);
    expect(tooMany.errors).toEqual(['« b.pdf » n’a pas été ajouté : 5 fichiers au plus par message.']);
    const heavy = checkChoice([{ size: 9 * MB }, { size: 9 * MB }], [{ name: 'c.pdf', size: 3 * MB }]);
    expect(heavy.errors).toEqual(['« c.pdf » n’a pas été ajouté : les fichiers dépasseraient 20 Mo au total.']);
  });

  it('shows sizes in French', () => {
    expect(formatSize(350 * 1024)).toBe('350 ko');
    expect(formatSize(1258291)).toBe('1,2 Mo');
  });
});
