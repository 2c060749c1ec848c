/** @ct/runtime (being built: see the issues). */
export const packageName = '@ct/runtime';
