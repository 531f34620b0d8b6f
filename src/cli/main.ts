#!/usr/bin/env node
console.log('wbct');
