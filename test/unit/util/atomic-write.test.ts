import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDirAtomic, writeFileAtomic } from '../../../src/util/atomic-write.js';

describe('atomic writes', () => {
  it('replaces a file whole and leaves no temporary files behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const path = join(dir, 'a.txt');
    writeFileAtomic(path, 'old');
    writeFileAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).to.equal('new');
    expect(readdirSync(dir)).to.deep.equal(['a.txt']);
  });

  it('keeps the old folder untouched when filling the new one fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const target = join(dir, 'model');
    mkdirSync(target);
    writeFileSync(join(target, 'weights.bin'), 'good');
    let error: unknown = null;
    try {
      await writeDirAtomic(target, (tmp) => {
        writeFileSync(join(tmp, 'weights.bin'), 'half');
        throw new Error('disk full');
      });
    } catch (err) {
      error = err;
    }
    expect((error as Error).message).to.equal('disk full');
    expect(readFileSync(join(target, 'weights.bin'), 'utf8')).to.equal('good');
    expect(readdirSync(dir)).to.deep.equal(['model']);
  });

  it('swaps in a complete new folder, replacing the old one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const target = join(dir, 'model');
    await writeDirAtomic(target, (tmp) => writeFileSync(join(tmp, 'v'), '1'));
    await writeDirAtomic(target, (tmp) => writeFileSync(join(tmp, 'w'), '2'));
    expect(readdirSync(target)).to.deep.equal(['w']);
    expect(readdirSync(dir)).to.deep.equal(['model']);
  });
});
