/** Pulling images from registries (distribution-spec): references, auth, verified resumable downloads. */
export { parseRegistryRef, formatRegistryRef, isLoopbackHost, type RegistryRef } from './registry-reference.js';
export { RegistryError } from './registry-error.js';
export { parseAuthChallenges, findCredentials, authFilePaths, helperServerUrl, type AuthChallenge, type Credentials, type AuthFileOptions } from './registry-auth.js';
export { credentialsFromHelper, type HelperCredentials, type HelperOrigin } from './registry-cred-helper.js';
export type { HttpResponse, TransportOptions } from './registry-http.js';
export { RegistryClient, type RegistryClientOptions } from './registry-client.js';
export { downloadBlob, type BlobProgress, type DownloadOptions } from './registry-blob.js';
export { pullToLayout, pullImage, type PullOptions, type PullImageOptions, type PulledImage } from './registry-pull.js';
export { PullProgressLine } from './pull-progress.js';
