#!/usr/bin/env node
// The installed command. A committed file rather than dist/bin.js itself, so that npm links it into
// node_modules/.bin even when it installs before the first build (as in a fresh clone).
import '../dist/bin.js';
