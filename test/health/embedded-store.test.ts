import { describe } from 'vitest';
import { EmbeddedStore } from '../../src/health/embedded-store.js';
import { defineStoreContract } from './store-contract.js';

describe('EmbeddedStore', () => {
  // One process has one embedded store, so a second instance's handle is the same store.
  defineStoreContract(async () => {
    const store = new EmbeddedStore();
    return { store, peer: async () => store };
  });
});
