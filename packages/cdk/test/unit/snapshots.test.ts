import { describe, expect, it } from 'vitest';
import { type Json, scrubAssetHashes } from '../support/cfn.js';
import { buildAllOptions, buildDefaults } from '../support/stacks.js';

// Whole-template regression snapshots (asset hashes scrubbed). Review a diff here like code.
describe('snapshots', () => {
  it('all defaults', () => {
    expect(scrubAssetHashes(buildDefaults().template.toJSON() as Json)).toMatchSnapshot();
  });

  it('all options', () => {
    expect(scrubAssetHashes(buildAllOptions().template.toJSON() as Json)).toMatchSnapshot();
  });
});
