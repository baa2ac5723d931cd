export { DUCKLING_VERSION } from '../config/version.js';
