import { fileStemForId, isValidTag, splitFileName, uploadBaseName } from '../../src/core/fileNames';

describe('upload file names', () => {
  test.each([
    ['/data/monailabel/case001.nii.gz', 'case001.nii.gz'],
    ['C:\\Users\\me\\AppData\\Local\\Temp\\tmpab12.nii.gz', 'tmpab12.nii.gz'],
    ['C:\\dir.with.dots\\x.nrrd', 'x.nrrd'],
    ['plain.nii', 'plain.nii'],
  ])('basename of %s is %s', (name, base) => {
    expect(uploadBaseName(name)).toBe(base);
  });

  test.each([
    ['case001.nii.gz', { stem: 'case001', ext: '.nii.gz' }],
    ['C:\\x.y\\CT.NII.GZ', { stem: 'CT', ext: '.nii.gz' }],
    ['abc.seg.nrrd', { stem: 'abc.seg', ext: '.nrrd' }],
    ['a.nii', { stem: 'a', ext: '.nii' }],
    ['notes.txt', null],
    ['.nii.gz', null],
  ])('split %s', (name, expected) => {
    expect(splitFileName(name)).toEqual(expected);
  });
});

describe('file stems for ids', () => {
  test('plain ids are their own stem', () => {
    expect(fileStemForId('case001')).toBe('case001');
    expect(fileStemForId('CT_2024-01.v2')).toBe('CT_2024-01.v2');
  });

  test.each(['6: CT Chest', '../../etc/passwd', '..', 'a/b', 'a\\b', 'CON', 'nul.txt', '.hidden', 'x'.repeat(300), 'Überschrift', ''])(
    '%j becomes a plain, distinct file stem',
    (id) => {
      const stem = fileStemForId(id);
      expect(stem).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
      expect(stem).not.toContain('..');
      expect(stem.length).toBeLessThanOrEqual(100);
      expect(fileStemForId(`${id} `)).not.toBe(stem);
    },
  );

  test('ids differing only in unsafe characters get different stems', () => {
    expect(fileStemForId('6: CT Chest')).not.toBe(fileStemForId('6_ CT Chest'));
  });

  test('tags are plain words', () => {
    expect(isValidTag('final')).toBe(true);
    expect(isValidTag('my-tag_2')).toBe(true);
    for (const bad of ['', '../x', 'a b', 'a/b', '.', 'x'.repeat(65)]) expect(isValidTag(bad)).toBe(false);
  });
});
