export { K2vService, type K2vServiceOptions, type PollOptions } from './service.js';
export { K2vError, type K2vErrorCode } from './errors.js';
export { K2V_LIMITS } from './limits.js';
export { decodeToken, encodeToken, k2vNodeId } from './causality.js';
export type * from './types.js';
