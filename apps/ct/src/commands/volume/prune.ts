/** `ct volume prune` (an oclif command class running the shared handler: engine/handlers.ts). */
import { verbCommand } from '../../flags/to-oclif.js';

export default verbCommand('volume prune');
