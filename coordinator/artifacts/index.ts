export { openArtifacts, listArtifacts, removeSweepArtifacts } from './sweep-artifacts.js';
