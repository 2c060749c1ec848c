/** `ct container cp` (bin/ct.js's lean entry handles it before oclif loads; this class serves help). */
import { verbCommand } from '../../flags/to-oclif.js';

export default verbCommand('container cp');
