export { listArtifacts, removeSweepArtifacts, createSweepArtifacts } from './sweep-artifacts.js';
export { fetchArtifacts, ArtifactPathError } from './fetch-artifacts.js';
export { ArtifactReadError, type StoredObject } from './object-reader.js';
