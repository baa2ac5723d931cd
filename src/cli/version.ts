export { DUCKLING_VERSION as VERSION } from '../config/version.js';
