/** @ct/oci (being built: see the issues). */
export const packageName = '@ct/oci';
