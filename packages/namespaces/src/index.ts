/** @ct/namespaces (being built: see the issues). */
export const packageName = '@ct/namespaces';
