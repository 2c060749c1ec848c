// Hostile layers for @ct/oci's confinement tests: one image per escape class (issue #6). Each names the host path an
// escape would touch (`escape`) so a test can check it stays untouched, and what a safe unpacker does (`expect`):
// 'refuse' (LayerUnpackError with `code`) or 'confine' (the write lands inside the root, at `inside`).

const MiB = 1024 * 1024;

/** @type {Record<string, {layers: object[][], expect: 'refuse'|'confine', code?: string, escape?: string, inside?: string}>} */
export const HOSTILE = {
  'hostile-dotdot': {
    layers: [[{ type: 'file', path: '../../../../../../tmp/ct-escape-dotdot', content: 'escaped\n' }]],
    expect: 'refuse', code: 'OCI_ENTRY_UNSAFE', escape: '/tmp/ct-escape-dotdot',
  },
  'hostile-absolute': {
    layers: [[{ type: 'dir', path: '/tmp/' }, { type: 'file', path: '/tmp/ct-escape-absolute', content: 'escaped\n' }]],
    expect: 'confine', escape: '/tmp/ct-escape-absolute', inside: 'tmp/ct-escape-absolute',
  },
  'hostile-symlink-write': {
    layers: [
      [{ type: 'dir', path: 'tmp' }, { type: 'dir', path: 'tmp/ct-escape-symlink' },
        { type: 'symlink', path: 'evil', target: '/tmp/ct-escape-symlink' },
        { type: 'symlink', path: 'evil-rel', target: '../../../../../../../../tmp/ct-escape-symlink' }],
      [{ type: 'file', path: 'evil/owned', content: 'escaped\n' }, { type: 'file', path: 'evil-rel/owned-rel', content: 'escaped\n' }],
    ],
    expect: 'confine', escape: '/tmp/ct-escape-symlink', inside: 'tmp/ct-escape-symlink/owned',
  },
  'hostile-symlink-final': {
    layers: [
      [{ type: 'symlink', path: 'target', target: '/tmp/ct-escape-final' }],
      [{ type: 'file', path: 'target', content: 'escaped\n' }],
    ],
    expect: 'confine', escape: '/tmp/ct-escape-final', inside: 'target',
  },
  'hostile-dir-swap': {
    layers: [[
      { type: 'dir', path: 'tmp' }, { type: 'dir', path: 'tmp/ct-escape-swap' },
      { type: 'dir', path: 'd' },
      { type: 'symlink', path: 'd', target: '/tmp/ct-escape-swap' },
      { type: 'file', path: 'd/owned', content: 'escaped\n' },
    ]],
    expect: 'confine', escape: '/tmp/ct-escape-swap', inside: 'tmp/ct-escape-swap/owned',
  },
  'hostile-hardlink-out': {
    layers: [[{ type: 'hardlink', path: 'passwd', target: '../../../../../../../../etc/passwd' }]],
    expect: 'refuse', code: 'OCI_ENTRY_UNSAFE',
  },
  'hostile-hardlink-abs': {
    layers: [[
      { type: 'dir', path: 'etc' }, { type: 'file', path: 'etc/passwd', content: 'inside\n' },
      { type: 'hardlink', path: 'passwd-link', target: '/etc/passwd' },
    ]],
    expect: 'confine', inside: 'passwd-link',
  },
  'hostile-whiteout-climb': {
    layers: [[{ type: 'file', path: 'x', content: 'x\n' }], [{ type: 'whiteout', path: '../../../../../../tmp/ct-escape-wh-climb' }]],
    expect: 'refuse', code: 'OCI_ENTRY_UNSAFE', escape: '/tmp/ct-escape-wh-climb',
  },
  'hostile-whiteout-symlink': {
    layers: [[{ type: 'symlink', path: 'evil', target: '/tmp/ct-escape-wh-link' }], [{ type: 'whiteout', path: 'evil/victim' }]],
    expect: 'confine', escape: '/tmp/ct-escape-wh-link',
  },
  'hostile-root-type': {
    layers: [[{ type: 'symlink', path: './', target: '/tmp/ct-escape-root' }, { type: 'file', path: 'owned', content: 'escaped\n' }]],
    expect: 'refuse', code: 'OCI_ENTRY_UNSAFE', escape: '/tmp/ct-escape-root',
  },
  'hostile-pax-huge': {
    layers: [[{ type: 'file', path: 'f', content: 'x', pax: { comment: Buffer.alloc(1 * MiB + 512, 0x61) } }]],
    expect: 'refuse', code: 'OCI_TAR_HEADER_TOO_LARGE',
  },
};
